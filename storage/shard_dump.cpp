#include "shard_dump.h"

#include "json_writer.h"
#include "sha256.h"

#include <cstdio>

namespace shardscope {

ShardCounts countSlots(const Shard &shard)
{
    ShardCounts c;
    for (uint32_t i = 0; i < shard.slotCount(); ++i) {
        if (shard.entry(i).isTombstone())
            ++c.tombstones;
        else
            ++c.live;
    }
    return c;
}

std::string dumpJson(const Shard &shard)
{
    const Manifest m = shard.manifest();
    const ShardCounts counts = countSlots(shard);
    JsonWriter w;
    w.beginObject();
    w.key("gen").value(m.gen);
    w.key("nonce").value(m.nonce);
    w.key("table_len").value(m.tableLen);
    w.key("capacity").value(shard.capacity());
    w.key("pack_size").value(shard.packSize());
    w.key("live").value(counts.live);
    w.key("tombstones").value(counts.tombstones);
    w.key("entries").beginArray();
    for (uint32_t i = 0; i < shard.slotCount(); ++i) {
        const Entry e = shard.entry(i);
        w.beginObject();
        w.key("slot").value(i);
        w.key("key").value(e.key.toHex());
        w.key("offset").value(e.offset);
        w.key("len").value(e.len);
        w.key("tombstone").value(e.isTombstone());
        if (!e.isTombstone()) {
            if (auto bytes = shard.data(e))
                w.key("sha256").value(Sha256::hexHash(*bytes));
        }
        w.endObject();
    }
    w.endArray();
    w.endObject();
    return w.str();
}

namespace {
std::string format(const char *fmt, auto... args)
{
    char buf[512];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}
} // namespace

std::string infoText(const Shard &shard)
{
    const Manifest m = shard.manifest();
    const ShardCounts counts = countSlots(shard);
    std::string out;
    out += "shard:       " + shard.path() + "\n";
    out += shard.manifestCopies() ? "" : "manifest:    none (a fresh shard, never flushed)\n";
    out += format("generation:  %u (%s, %s)\n", m.gen, tableFileName(m.gen).c_str(), packFileName(m.gen).c_str());
    out += format("nonce:       %llu\n", (unsigned long long)m.nonce);
    out += format("table_len:   %u of %u slots\n", m.tableLen, shard.capacity());
    out += format("live:        %u\n", counts.live);
    out += format("tombstones:  %u\n", counts.tombstones);
    if (shard.nextOffset() > shard.packSize()) {
        // Damaged: a slot points past the end of the pack; a fill figure
        // above 100% would only hide that.
        out += format("pack:        %llu bytes; committed slots reach byte %llu, beyond its end\n",
            (unsigned long long)shard.packSize(), (unsigned long long)shard.nextOffset());
    } else {
        const double fill = shard.packSize() ? 100.0 * double(shard.nextOffset()) / double(shard.packSize()) : 0.0;
        out += format("pack:        %llu of %llu bytes used (%.1f%%)\n", (unsigned long long)shard.nextOffset(),
            (unsigned long long)shard.packSize(), fill);
    }
    return out;
}

std::string dumpText(const Shard &shard)
{
    std::string out = infoText(shard);
    out += format("\n%6s  %-48s  %10s  %10s  %s\n", "slot", "key", "offset", "len", "state");
    for (uint32_t i = 0; i < shard.slotCount(); ++i) {
        const Entry e = shard.entry(i);
        const char *state = e.isTombstone() ? "tombstone" : (shard.data(e) ? "live" : "out-of-bounds");
        out += format("%6u  %-48s  %10u  %10u  %s\n", i, e.key.toHex().c_str(), e.offset, e.len, state);
    }
    return out;
}

} // namespace shardscope
