// The on-disk format as definitions for other tools, so that people can check
// what ShardScope shows against a second opinion: a Kaitai Struct .ksy and an
// ImHex .hexpat pattern. Both describe MF (two 32-byte manifest copies) and a
// table file (an array of 32-byte slots); the pack has no structure of its
// own. Field names are the ones FORMAT.md uses.
#pragma once

#include <QString>

namespace shardscope {

enum class ExportTarget {
    // One definition for both files: MF is recognised by its size of 64
    // bytes (a 2-slot table is read as a manifest; export Table for it).
    Any,
    Manifest,
    Table,
};

[[nodiscard]] QString kaitaiStruct(ExportTarget target = ExportTarget::Any);
[[nodiscard]] QString imhexPattern(ExportTarget target = ExportTarget::Any);

// Suggested file names ("shardscope_shard.ksy", "shardscope_table.hexpat").
[[nodiscard]] QString kaitaiFileName(ExportTarget target = ExportTarget::Any);
[[nodiscard]] QString imhexFileName(ExportTarget target = ExportTarget::Any);

} // namespace shardscope
