#include "shard_summary.h"

#include "shard.h"
#include "shard_dump.h"

#include <QLocale>

namespace shardscope {

ShardSummary ShardSummary::fromShard(const Shard &shard)
{
    const ShardCounts counts = countSlots(shard);
    ShardSummary s;
    s.valid = true;
    s.generation = shard.generation();
    s.nonce = shard.manifest().nonce;
    s.tableLen = shard.tableLen();
    s.capacity = shard.capacity();
    s.live = counts.live;
    s.tombstones = counts.tombstones;
    s.packUsed = shard.nextOffset();
    s.packSize = shard.packSize();
    return s;
}

double ShardSummary::packFillPercent() const
{
    return packSize ? 100.0 * double(packUsed) / double(packSize) : 0.0;
}

QString ShardSummary::text() const
{
    if (!valid)
        return {};
    const QLocale locale;
    const QString counts = QStringLiteral("Generation %1 · nonce %2 · %3 of %4 slots · %5 live · %6 tombstones")
                               .arg(generation)
                               .arg(nonce)
                               .arg(tableLen)
                               .arg(capacity)
                               .arg(live)
                               .arg(tombstones);
    // Damaged: a slot points past the pack's end, and no fill figure fits.
    if (packUsed > packSize)
        return counts
            + QStringLiteral(" · pack %1, slots reach beyond its end").arg(locale.formattedDataSize(qint64(packSize)));
    return counts
        + QStringLiteral(" · pack %1 of %2 (%3%)")
              .arg(locale.formattedDataSize(qint64(packUsed)), locale.formattedDataSize(qint64(packSize)))
              .arg(packFillPercent(), 0, 'f', 1);
}

} // namespace shardscope
