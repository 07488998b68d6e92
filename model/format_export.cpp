#include "format_export.h"

namespace shardscope {

namespace {

QString baseName(ExportTarget target)
{
    switch (target) {
    case ExportTarget::Any:
        return QStringLiteral("shardscope_shard");
    case ExportTarget::Manifest:
        return QStringLiteral("shardscope_manifest");
    case ExportTarget::Table:
        return QStringLiteral("shardscope_table");
    }
    return {};
}

// The parts every .ksy shares; `types` are indented two spaces.
constexpr const char *kKaitaiTypes = R"(types:
  manifest_file:
    doc: |
      MF: two copies of the manifest. A save writes the copy with an even
      nonce at byte 0 (copy A) and one with an odd nonce at byte 32 (copy B),
      then fsyncs MF. Readers take the copy with the greater nonce, copy A on
      a tie. Bytes past 64 are ignored.
    seq:
      - id: copy_a
        type: manifest_copy
        doc: Byte 0; where saves with an even nonce go.
      - id: copy_b
        type: manifest_copy
        doc: Byte 32; where saves with an odd nonce go.
    instances:
      active_is_b:
        value: copy_b.nonce > copy_a.nonce
        doc: True when readers take copy B, false when they take copy A.
      active_gen:
        value: 'copy_b.nonce > copy_a.nonce ? copy_b.gen : copy_a.gen'
        doc: The current generation (names the table and pack files, %08x).
      active_table_len:
        value: 'copy_b.nonce > copy_a.nonce ? copy_b.table_len : copy_a.table_len'
        doc: Slots [0, table_len) of the current table are committed.
      copy_a_placed_by_parity:
        value: copy_a.nonce % 2 == 0
        doc: The writer puts only even nonces in copy A.
      copy_b_placed_by_parity:
        value: copy_b.nonce % 2 == 1 or copy_b.nonce == 0
        doc: The writer puts only odd nonces in copy B (0 means never written).
  manifest_copy:
    doc: One 32-byte copy of the manifest (ManifestSize = 32).
    seq:
      - id: nonce
        type: u8le
        doc: How many times the manifest has been saved.
      - id: gen
        type: u4le
        doc: Current generation.
      - id: table_len
        type: u4le
        doc: Number of committed slots in the current table.
      - id: reserved
        size: 16
        doc: Zero.
  table_file:
    doc: |
      %08x.slot: a fixed-size table of 32-byte slots (TableEntrySize = 32),
      capacity = file size / 32. Only slots [0, table_len) are committed (see
      MF); slots past it may hold entries written but never committed.
    seq:
      - id: slots
        type: slot
        repeat: eos
  slot:
    doc: |
      One table slot. The entry's data is bytes [offset, offset + len) of the
      pack file of the same generation (%08x.pack).
    seq:
      - id: key
        size: 24
        doc: |
          Three u64 words, word 0 first; keys compare word by word as
          unsigned numbers. The zero key is not a valid key.
      - id: offset
        type: u4le
        doc: Start of the entry's data in the pack; 0xffffffff marks a tombstone.
      - id: len
        type: u4le
        doc: Length of the entry's data in bytes; may be 0.
    instances:
      is_tombstone:
        value: offset == 0xffffffff
        doc: |
          A deleted entry. The writer also zeroes key and len, so a tombstone
          does not record where its data was.
      is_blank:
        value: 'offset == 0 and len == 0 and key == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]'
        doc: All 32 bytes zero; a slot that was never written.
      data_end:
        value: offset + len
        doc: One past the entry's last pack byte (meaningless for a tombstone).
)";

constexpr const char *kImhexManifest = R"(// One 32-byte copy of the manifest. A save writes an even nonce to copy A
// (byte 0) and an odd one to copy B (byte 32); readers take the copy with the
// greater nonce, copy A on a tie.
struct ManifestCopy {
    u64 nonce [[comment("How many times the manifest has been saved")]];
    u32 gen [[comment("Current generation: names %08x.slot and %08x.pack")]];
    u32 table_len [[comment("Slots [0, table_len) of the current table are committed")]];
    u8 reserved[16] [[comment("Zero")]];
};

struct Manifest {
    ManifestCopy copy_a [[comment("Byte 0: saves with an even nonce")]];
    ManifestCopy copy_b [[comment("Byte 32: saves with an odd nonce")]];
} [[format("describe_manifest")]];

fn describe_manifest(ref Manifest m) {
    if (m.copy_b.nonce > m.copy_a.nonce)
        return "copy B is active";
    return "copy A is active";
};

)";

constexpr const char *kImhexSlot = R"(// One table slot: the entry's data is pack bytes [offset, offset + len).
struct Slot {
    u8 key[24] [[comment("Three u64 words, word 0 first; compared as unsigned numbers")]];
    u32 offset [[comment("Start of the data in the pack; 0xffffffff marks a tombstone")]];
    u32 len [[comment("Length of the data; 0 in a tombstone")]];
} [[format("describe_slot")]];

fn describe_slot(ref Slot s) {
    if (s.offset == 0xFFFFFFFF)
        return "tombstone";
    if (s.offset == 0 && s.len == 0)
        return "blank or empty";
    return "entry";
};

)";

} // namespace

QString kaitaiFileName(ExportTarget target)
{
    return baseName(target) + QStringLiteral(".ksy");
}

QString imhexFileName(ExportTarget target)
{
    return baseName(target) + QStringLiteral(".hexpat");
}

QString kaitaiStruct(ExportTarget target)
{
    QString out;
    out += QStringLiteral("# The on-disk format of a shard, written by ShardScope (see its Help > Format Guide).\n"
                          "# All numbers are little-endian.\n");
    out += QStringLiteral("meta:\n  id: %1\n").arg(baseName(target));
    switch (target) {
    case ExportTarget::Any:
        out += QStringLiteral("  title: Shard manifest (MF) or table file (%08x.slot)\n");
        break;
    case ExportTarget::Manifest:
        out += QStringLiteral("  title: Shard manifest (MF)\n");
        break;
    case ExportTarget::Table:
        out += QStringLiteral("  title: Shard table file (%08x.slot)\n  file-extension: slot\n");
        break;
    }
    out += QStringLiteral("  endian: le\n");
    switch (target) {
    case ExportTarget::Any:
        out += QStringLiteral("doc: |\n"
                              "  A shard is a directory holding MF (the manifest, 64 bytes) and the table\n"
                              "  (%08x.slot) and pack (%08x.pack) of each generation. Open MF or a table\n"
                              "  file with this definition: a file of exactly 64 bytes is read as MF, any\n"
                              "  other as a table (use the table-only definition for a table of 2 slots).\n"
                              "seq:\n"
                              "  - id: manifest\n"
                              "    type: manifest_file\n"
                              "    if: _io.size == 64\n"
                              "  - id: table\n"
                              "    type: table_file\n"
                              "    if: _io.size != 64\n");
        break;
    case ExportTarget::Manifest:
        out += QStringLiteral("doc: The manifest MF of a shard, its commit point.\n"
                              "seq:\n"
                              "  - id: manifest\n"
                              "    type: manifest_file\n");
        break;
    case ExportTarget::Table:
        out += QStringLiteral("doc: A table file of a shard.\n"
                              "seq:\n"
                              "  - id: table\n"
                              "    type: table_file\n");
        break;
    }
    out += QLatin1String(kKaitaiTypes);
    return out;
}

QString imhexPattern(ExportTarget target)
{
    QString out;
    out += QStringLiteral("// The on-disk format of a shard, written by ShardScope (see its Help > Format Guide).\n");
    switch (target) {
    case ExportTarget::Any:
        out += QStringLiteral("#pragma description Shard manifest (MF) or table file (%08x.slot)\n");
        break;
    case ExportTarget::Manifest:
        out += QStringLiteral("#pragma description Shard manifest (MF)\n");
        break;
    case ExportTarget::Table:
        out += QStringLiteral("#pragma description Shard table file (%08x.slot)\n");
        break;
    }
    out += QStringLiteral("#pragma endian little\n\nimport std.mem;\n\n");
    if (target != ExportTarget::Table)
        out += QLatin1String(kImhexManifest);
    if (target != ExportTarget::Manifest)
        out += QLatin1String(kImhexSlot);
    const QString manifest = QStringLiteral("Manifest manifest @ 0x00;\n");
    const QString table = QStringLiteral("Slot slots[std::mem::size() / 32] @ 0x00;\n");
    switch (target) {
    case ExportTarget::Any:
        out += QStringLiteral("// MF is exactly 64 bytes; any other file is read as a table.\n"
                              "if (std::mem::size() == 64) {\n    ")
            + manifest + QStringLiteral("} else {\n    ") + table + QStringLiteral("}\n");
        break;
    case ExportTarget::Manifest:
        out += manifest;
        break;
    case ExportTarget::Table:
        out += table;
        break;
    }
    return out;
}

} // namespace shardscope
