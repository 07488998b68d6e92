// The bytes of the format explained for people: the manifest's two copies and
// a table slot decoded field by field, with the rule behind each verdict
// ("nonce 7 > 6"), and the name of the field that any byte of MF or of a
// table file belongs to. Pure functions of the bytes they are given; the
// Format view and the hex pane show what they return.
#pragma once

#include "manifest.h"

#include <QList>
#include <QString>

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace shardscope {

class PackLayout;

// One field of an on-disk structure. Byte offsets are within the file.
struct FieldRow {
    QString name; // as FORMAT.md names it: nonce, gen, table_len, reserved, key, offset, len
    QString type; // "u64 LE", "u32 LE", "24 bytes"
    uint64_t start = 0;
    uint64_t end = 0;
    QString hex; // the raw bytes, space separated, file order
    QString value; // decoded
    QString note; // what the value means here; empty when nothing to say
};

struct ManifestCopyDescription {
    int index = 0; // 0 = copy A at byte 0, 1 = copy B at byte 32
    QString label; // "copy A"
    Manifest manifest;
    bool blank = false; // all 32 bytes zero: never written
    bool reservedZero = true;
    // The reference writes even nonces to A and odd ones to B.
    bool placedByParity = true;
    QList<FieldRow> fields;
    QString verdict; // one line: active or previous save, parity, damage
};

struct ManifestDescription {
    enum class State {
        Missing, // no MF: a fresh shard (nonce 0, gen 0, table_len 0)
        TooShort, // shorter than 64 bytes: readers refuse it
        Present,
    };
    State state = State::Missing;
    uint64_t fileSize = 0;
    std::array<ManifestCopyDescription, 2> copies;
    int active = 0;
    QString activeReason; // "nonce 7 > 6"
    // Whether the fields hold the file's raw bytes; false when built from
    // decoded copies, which do not keep non-zero reserved bytes.
    bool rawBytes = true;
    QString summary; // one line for the whole file

    // From the bytes of the whole MF file.
    [[nodiscard]] static ManifestDescription fromBytes(std::span<const uint8_t> file);
    // From decoded copies (Shard::manifestCopies()); nullopt is a missing MF.
    [[nodiscard]] static ManifestDescription fromCopies(const std::optional<ManifestCopies> &copies);
};

// What a table slot's bytes may say about it besides the bytes themselves.
struct SlotContext {
    std::optional<uint32_t> tableLen; // slots at or past it are uncommitted
    std::optional<uint64_t> packSize; // for the bounds check
    QString packName; // "00000000.pack", for the note on the data range
};

struct SlotDescription {
    enum class State { Live, Tombstone, Blank, OutOfBounds };
    uint32_t slot = 0;
    State state = State::Live;
    bool committed = true;
    QList<FieldRow> fields; // key word 0..2, offset, len; offsets within the table file
    QString summary; // "slot 3 · live · 38 bytes at pack offset 4096"
    QString meaning; // a sentence on what the state means in the format

    // `bytes` are the 32 bytes of the slot (fewer are padded with zero).
    [[nodiscard]] static SlotDescription describe(
        uint32_t slot, std::span<const uint8_t> bytes, const SlotContext &context = {});
    [[nodiscard]] static QString stateName(State state);
};

enum class FormatFile {
    Manifest, // MF
    Table, // %08x.slot
    Pack, // %08x.pack
};

// Where a byte lies in the structure of its file.
struct FieldLocation {
    QString text; // "slot 12 · key byte 5", "copy A · nonce (u64 LE) byte 3"
    uint64_t fieldStart = 0; // the whole field the byte belongs to
    uint64_t fieldEnd = 0;
};

struct FieldContext {
    std::optional<uint32_t> tableLen; // marks uncommitted slots in a table
    const PackLayout *pack = nullptr; // names the owner of a pack byte
};

// nullopt for a pack byte without a layout to look it up in.
[[nodiscard]] std::optional<FieldLocation> fieldAt(FormatFile file, uint64_t offset, const FieldContext &context = {});

// "07 00 00 00", lower-case, one space between bytes.
[[nodiscard]] QString hexBytes(std::span<const uint8_t> bytes);

} // namespace shardscope
