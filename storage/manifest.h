// The manifest: the shard's commit point. MF holds two 32-byte copies (A at
// byte 0, B at byte 32); the copy with the greater nonce is active, A on a tie.
// A save always writes the inactive copy, so the active one stays intact
// until the new one is durable.
#pragma once

#include "directory.h"
#include "error.h"

#include <array>
#include <cstdint>
#include <optional>

namespace shardscope {

struct Manifest {
    static constexpr size_t kEncodedSize = 32;

    uint64_t nonce = 0;
    uint32_t gen = 0;
    uint32_t tableLen = 0;

    [[nodiscard]] static Manifest decode(const uint8_t *bytes);
    // Writes all 32 bytes, the reserved ones as zero.
    void encodeTo(uint8_t *out) const;

    friend bool operator==(const Manifest &, const Manifest &) = default;
};

// Both copies as they lie in MF, and which one readers take.
struct ManifestCopies {
    std::array<Manifest, 2> copies {};
    std::array<bool, 2> reservedZero {true, true};
    uint64_t fileSize = kEncodedSizeOfFile;

    static constexpr uint64_t kEncodedSizeOfFile = 2 * Manifest::kEncodedSize;

    [[nodiscard]] int activeIndex() const { return copies[1].nonce > copies[0].nonce ? 1 : 0; }
    [[nodiscard]] const Manifest &active() const { return copies[size_t(activeIndex())]; }
    // A copy sits where its nonce parity says it should (A even, B odd).
    [[nodiscard]] bool placedByParity(int index) const { return int(copies[size_t(index)].nonce & 1) == index; }

    // Decodes a whole MF image; a Corrupt error when it is shorter than 64 bytes.
    [[nodiscard]] static Result<ManifestCopies> decode(std::span<const uint8_t> file, const std::string &path);
};

class ManifestFile
{
public:
    // nullopt when there is no MF: a fresh shard (nonce 0, gen 0, table_len 0).
    [[nodiscard]] static Result<std::optional<ManifestCopies>> load(const Directory &dir);

    // Commits `gen` and `tableLen`: writes them into the inactive copy with the
    // next nonce of that copy's parity, then fsyncs MF. A new MF is written
    // whole as MF.tmp, fsynced, renamed to MF and the directory fsynced, so a
    // crash never leaves a short MF. Returns the copies as they now are on disk.
    [[nodiscard]] static Result<ManifestCopies> save(
        const Directory &dir, const std::optional<ManifestCopies> &current, uint32_t gen, uint32_t tableLen);
};

} // namespace shardscope
