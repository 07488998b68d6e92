#include "format_description.h"

#include "entry.h"
#include "format.h"
#include "pack_layout.h"

#include <QCoreApplication>

#include <algorithm>

namespace shardscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("shardscope::FormatDescription", text);
}

QString copyLabel(int index)
{
    return index == 0 ? tr("copy A") : tr("copy B");
}

QString hex64(uint64_t v)
{
    return QStringLiteral("0x%1").arg(v, 16, 16, QLatin1Char('0'));
}

QString hex32(uint32_t v)
{
    return QStringLiteral("0x%1").arg(v, 8, 16, QLatin1Char('0'));
}

FieldRow row(QString name, QString type, uint64_t base, uint32_t from, uint32_t to, std::span<const uint8_t> bytes,
    QString value, QString note = {})
{
    return FieldRow {std::move(name), std::move(type), base + from, base + to, hexBytes(bytes.subspan(from, to - from)),
        std::move(value), std::move(note)};
}

ManifestCopyDescription describeCopy(int index, std::span<const uint8_t, kManifestCopySize> bytes)
{
    ManifestCopyDescription d;
    d.index = index;
    d.label = copyLabel(index);
    d.manifest = Manifest::decode(bytes.data());
    d.blank = std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
    d.reservedZero = std::all_of(bytes.begin() + 16, bytes.end(), [](uint8_t b) { return b == 0; });
    d.placedByParity = d.blank || int(d.manifest.nonce & 1) == index;

    const uint64_t base = uint64_t(index) * kManifestCopySize;
    const Manifest &m = d.manifest;
    QString nonceNote;
    if (d.blank)
        nonceNote = tr("never written");
    else if (d.placedByParity)
        nonceNote = (m.nonce & 1) ? tr("odd: saves with odd nonces go to copy B")
                                  : tr("even: saves with even nonces go to copy A");
    else
        nonceNote = (m.nonce & 1) ? tr("odd, yet in copy A: the reference writes odd nonces to copy B")
                                  : tr("even, yet in copy B: the reference writes even nonces to copy A");
    d.fields.append(
        row(QStringLiteral("nonce"), QStringLiteral("u64 LE"), base, 0, 8, bytes, QString::number(m.nonce), nonceNote));
    d.fields.append(row(QStringLiteral("gen"), QStringLiteral("u32 LE"), base, 8, 12, bytes, QString::number(m.gen),
        tr("table %1, pack %2")
            .arg(QString::fromStdString(tableFileName(m.gen)), QString::fromStdString(packFileName(m.gen)))));
    d.fields.append(row(QStringLiteral("table_len"), QStringLiteral("u32 LE"), base, 12, 16, bytes,
        QString::number(m.tableLen), tr("slots 0..%1 are committed").arg(qint64(m.tableLen) - 1)));
    if (m.tableLen == 0)
        d.fields.last().note = tr("no slot is committed");
    d.fields.append(row(QStringLiteral("reserved"), QStringLiteral("16 bytes"), base, 16, 32, bytes,
        d.reservedZero ? tr("zero") : tr("not zero"),
        d.reservedZero ? QString() : tr("must be zero; no writer of this format puts anything here")));
    return d;
}

void judge(ManifestDescription &d)
{
    auto &a = d.copies[0];
    auto &b = d.copies[1];
    const uint64_t na = a.manifest.nonce;
    const uint64_t nb = b.manifest.nonce;
    // The reference's rule: the greater nonce wins, the first copy on a tie.
    d.active = nb > na ? 1 : 0;
    if (nb > na)
        d.activeReason = tr("nonce %1 > %2").arg(nb).arg(na);
    else if (na > nb)
        d.activeReason = tr("nonce %1 > %2").arg(na).arg(nb);
    else
        d.activeReason = tr("nonces equal (%1): copy A wins the tie").arg(na);
    if (a.blank && !b.blank)
        d.activeReason += tr("; copy A was never written, copy B is the only copy");
    else if (b.blank && !a.blank)
        d.activeReason += tr("; copy B was never written, copy A is the only copy");
    else if (a.blank && b.blank)
        d.activeReason = tr("both copies are blank: the shard was never committed (nonce 0, gen 0, table_len 0)");

    for (auto *c : {&a, &b}) {
        QStringList parts;
        const bool isActive = c->index == d.active;
        if (c->blank)
            parts << tr("never written (all 32 bytes zero)");
        else if (isActive)
            parts << tr("active: readers take this copy");
        else
            parts << tr("the previous save, kept intact until the next save overwrites it");
        if (!c->placedByParity)
            parts << tr("misplaced: nonce %1 belongs in %2")
                         .arg(c->manifest.nonce)
                         .arg(copyLabel(int(c->manifest.nonce & 1)));
        if (!c->reservedZero)
            parts << (d.rawBytes ? tr("reserved bytes are not zero") : tr("reserved bytes are not zero (not shown)"));
        c->verdict = parts.join(QStringLiteral("; "));
    }
    const Manifest &m = d.copies[size_t(d.active)].manifest;
    d.summary = tr("%1 is active (%2): generation %3, table_len %4")
                    .arg(copyLabel(d.active), d.activeReason)
                    .arg(m.gen)
                    .arg(m.tableLen);
    if (d.fileSize > kManifestFileSize)
        d.summary += tr("; the %1 bytes past the two copies are ignored").arg(d.fileSize - kManifestFileSize);
}

QString slotName(uint32_t slot, const std::optional<uint32_t> &tableLen)
{
    if (tableLen && slot >= *tableLen)
        return tr("slot %1 (uncommitted)").arg(slot);
    return tr("slot %1").arg(slot);
}

} // namespace

QString hexBytes(std::span<const uint8_t> bytes)
{
    QString out;
    out.reserve(qsizetype(bytes.size()) * 3);
    static constexpr char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i)
            out += QLatin1Char(' ');
        out += QLatin1Char(digits[bytes[i] >> 4]);
        out += QLatin1Char(digits[bytes[i] & 15]);
    }
    return out;
}

ManifestDescription ManifestDescription::fromBytes(std::span<const uint8_t> file)
{
    ManifestDescription d;
    d.fileSize = file.size();
    if (file.size() < kManifestFileSize) {
        d.state = State::TooShort;
        d.summary = tr("MF is %1 bytes; a manifest holds two 32-byte copies (64 bytes), so readers refuse it")
                        .arg(file.size());
        return d;
    }
    d.state = State::Present;
    for (int i = 0; i < 2; ++i)
        d.copies[size_t(i)] = describeCopy(i, file.subspan(size_t(i) * kManifestCopySize).first<kManifestCopySize>());
    judge(d);
    return d;
}

ManifestDescription ManifestDescription::fromCopies(const std::optional<ManifestCopies> &copies)
{
    if (!copies) {
        ManifestDescription d;
        d.state = State::Missing;
        d.summary = tr("no MF: a fresh shard (nonce 0, generation 0, table_len 0); the first save creates it");
        return d;
    }
    std::array<uint8_t, kManifestFileSize> image {};
    for (size_t i = 0; i < 2; ++i)
        copies->copies[i].encodeTo(image.data() + i * kManifestCopySize);
    ManifestDescription d = fromBytes(image);
    d.rawBytes = false;
    d.fileSize = copies->fileSize;
    for (size_t i = 0; i < 2; ++i) {
        auto &c = d.copies[i];
        if (copies->reservedZero[i])
            continue;
        c.reservedZero = false;
        c.blank = false;
        FieldRow &reserved = c.fields.last();
        reserved.hex = tr("(not kept)");
        reserved.value = tr("not zero");
        reserved.note = tr("must be zero; no writer of this format puts anything here");
    }
    judge(d);
    return d;
}

QString SlotDescription::stateName(State state)
{
    switch (state) {
    case State::Live:
        return tr("live");
    case State::Tombstone:
        return tr("tombstone");
    case State::Blank:
        return tr("blank");
    case State::OutOfBounds:
        return tr("out of bounds");
    }
    return {};
}

SlotDescription SlotDescription::describe(uint32_t slot, std::span<const uint8_t> given, const SlotContext &context)
{
    std::array<uint8_t, kTableEntrySize> bytes {};
    std::copy_n(given.begin(), std::min<size_t>(given.size(), bytes.size()), bytes.begin());
    const std::span<const uint8_t> all(bytes);
    const Entry e = Entry::decode(bytes.data());

    SlotDescription d;
    d.slot = slot;
    d.committed = !context.tableLen || slot < *context.tableLen;
    if (e.isTombstone())
        d.state = State::Tombstone;
    else if (e.isBlank())
        d.state = State::Blank;
    else if (context.packSize && e.end() > *context.packSize)
        d.state = State::OutOfBounds;
    else
        d.state = State::Live;

    const uint64_t base = uint64_t(slot) * kTableEntrySize;
    const bool tomb = d.state == State::Tombstone;
    for (int w = 0; w < 3; ++w) {
        QString note;
        if (w == 0)
            note = tr("keys compare word 0 first, each as an unsigned number");
        if (tomb && e.key.word(w) != 0)
            note = tr("a tombstone's key is zeroed by the reference writer; this one is not");
        d.fields.append(row(QStringLiteral("key"), tr("u64 LE, word %1").arg(w), base, uint32_t(8 * w),
            uint32_t(8 * w + 8), all, hex64(e.key.word(w)), note));
    }
    if (!tomb && d.state != State::Blank && e.key.isZero())
        d.fields.first().note = tr("the zero key is not a valid key");

    QString offsetNote;
    QString lenNote;
    const QString pack = context.packName.isEmpty() ? tr("the pack") : context.packName;
    switch (d.state) {
    case State::Tombstone:
        offsetNote = tr("0xffffffff marks a tombstone: the entry was deleted");
        lenNote = e.len == 0 ? tr("zeroed with the key: the tombstone does not record where the data was")
                             : tr("a tombstone's len is zeroed by the reference writer; this one is not");
        break;
    case State::Blank:
        offsetNote = tr("never written");
        break;
    case State::OutOfBounds:
        offsetNote = tr("start of the data in %1").arg(pack);
        lenNote
            = tr("the data [%1, %2) ends past the pack's %3 bytes").arg(e.offset).arg(e.end()).arg(*context.packSize);
        break;
    case State::Live:
        offsetNote = tr("start of the data in %1").arg(pack);
        lenNote = e.len == 0 ? tr("an empty entry") : tr("the data is pack bytes [%1, %2)").arg(e.offset).arg(e.end());
        break;
    }
    d.fields.append(row(QStringLiteral("offset"), QStringLiteral("u32 LE"), base, 24, 28, all,
        tomb ? hex32(e.offset) : QString::number(e.offset), offsetNote));
    d.fields.append(
        row(QStringLiteral("len"), QStringLiteral("u32 LE"), base, 28, 32, all, QString::number(e.len), lenNote));

    const QString name = slotName(slot, context.tableLen);
    switch (d.state) {
    case State::Live:
        d.summary = tr("%1 · live · %2 bytes at pack offset %3").arg(name).arg(e.len).arg(e.offset);
        d.meaning = d.committed
            ? tr("A committed entry: readers find its key here and its data in the pack.")
            : tr("Written past table_len and never committed: readers do not see it; the next append overwrites it.");
        break;
    case State::Tombstone:
        d.summary = tr("%1 · tombstone").arg(name);
        d.meaning = tr("A deleted entry. Its slot stays in use; its pack bytes become dead space that only a "
                       "compaction reclaims.");
        break;
    case State::Blank:
        d.summary = tr("%1 · blank").arg(name);
        d.meaning = d.committed
            ? tr("All 32 bytes are zero, yet the slot is below table_len: the zero key is not valid.")
            : tr("Never written: the table file is created sparse, full of zeros.");
        break;
    case State::OutOfBounds:
        d.summary = tr("%1 · out of bounds · [%2, %3)").arg(name).arg(e.offset).arg(e.end());
        d.meaning = tr("The slot points past the end of the pack: its data cannot be read.");
        break;
    }
    return d;
}

std::optional<FieldLocation> fieldAt(FormatFile file, uint64_t offset, const FieldContext &context)
{
    switch (file) {
    case FormatFile::Manifest: {
        if (offset >= kManifestFileSize)
            return FieldLocation {tr("past the two copies (readers ignore it)"), kManifestFileSize, offset + 1};
        const uint64_t base = offset < kManifestCopySize ? 0 : kManifestCopySize;
        const QString copy = copyLabel(int(base / kManifestCopySize));
        const uint64_t in = offset - base;
        struct Field {
            uint32_t start, end;
            const char *name;
        };
        static constexpr Field fields[]
            = {{0, 8, "nonce (u64 LE)"}, {8, 12, "gen (u32 LE)"}, {12, 16, "table_len (u32 LE)"}, {16, 32, "reserved"}};
        for (const Field &f : fields) {
            if (in >= f.start && in < f.end)
                return FieldLocation {
                    QStringLiteral("%1 · %2 byte %3").arg(copy, QLatin1String(f.name)).arg(in - f.start),
                    base + f.start, base + f.end};
        }
        return std::nullopt;
    }
    case FormatFile::Table: {
        const auto slot = uint32_t(std::min<uint64_t>(offset / kTableEntrySize, UINT32_MAX));
        const uint64_t base = uint64_t(slot) * kTableEntrySize;
        const uint64_t in = offset - base;
        const QString name = slotName(slot, context.tableLen);
        if (in < 24)
            return FieldLocation {tr("%1 · key byte %2").arg(name).arg(in), base, base + 24};
        if (in < 28)
            return FieldLocation {tr("%1 · offset (u32 LE) byte %2").arg(name).arg(in - 24), base + 24, base + 28};
        return FieldLocation {tr("%1 · len (u32 LE) byte %2").arg(name).arg(in - 28), base + 28, base + 32};
    }
    case FormatFile::Pack: {
        if (!context.pack)
            return std::nullopt;
        const auto index = context.pack->rangeAt(offset);
        if (!index)
            return std::nullopt;
        const PackLayout::Range &r = context.pack->ranges()[*index];
        const auto owners = context.pack->owners(r);
        QString text;
        switch (r.kind) {
        case PackLayout::Kind::Live:
        case PackLayout::Kind::Uncommitted: {
            const auto slot = owners.front();
            // The field is the whole entry, even where other entries cut
            // its bytes into several ranges.
            const auto extent = context.pack->extentOf(slot);
            const uint64_t start = extent ? extent->start : r.start;
            const uint64_t end = extent ? extent->end : r.end;
            text = tr("%1 · data byte %2")
                       .arg(r.kind == PackLayout::Kind::Live ? tr("slot %1").arg(slot)
                                                             : tr("slot %1 (uncommitted)").arg(slot))
                       .arg(offset - start);
            return FieldLocation {text, start, end};
        }
        case PackLayout::Kind::Overlap: {
            QStringList names;
            for (uint32_t s : owners)
                names << QString::number(s);
            text = tr("overlap · claimed by slots %1").arg(names.join(QStringLiteral(", ")));
            if (r.slotTotal > owners.size())
                text += tr(" and %1 more").arg(r.slotTotal - owners.size());
            break;
        }
        case PackLayout::Kind::Dead:
            text = tr("dead · referenced by no entry");
            break;
        case PackLayout::Kind::Free:
            text = tr("free · past the last entry");
            break;
        }
        return FieldLocation {text, r.start, r.end};
    }
    }
    return std::nullopt;
}

} // namespace shardscope
