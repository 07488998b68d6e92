#include "manifest.h"

#include "format.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>

namespace shardscope {

Manifest Manifest::decode(const uint8_t *bytes)
{
    return Manifest {loadU64(bytes), loadU32(bytes + 8), loadU32(bytes + 12)};
}

void Manifest::encodeTo(uint8_t *out) const
{
    std::fill(out, out + kEncodedSize, uint8_t(0));
    storeU64(out, nonce);
    storeU32(out + 8, gen);
    storeU32(out + 12, tableLen);
}

Result<ManifestCopies> ManifestCopies::decode(std::span<const uint8_t> file, const std::string &path)
{
    if (file.size() < kEncodedSizeOfFile) {
        return fail(ErrorKind::Corrupt, path,
            "manifest is " + std::to_string(file.size()) + " bytes; it must hold two 32-byte copies (64 bytes)",
            file.size());
    }
    ManifestCopies m;
    m.fileSize = file.size();
    for (size_t i = 0; i < 2; ++i) {
        const uint8_t *copy = file.data() + i * Manifest::kEncodedSize;
        m.copies[i] = Manifest::decode(copy);
        m.reservedZero[i] = std::all_of(copy + 16, copy + Manifest::kEncodedSize, [](uint8_t b) { return b == 0; });
    }
    return m;
}

Result<std::optional<ManifestCopies>> ManifestFile::load(const Directory &dir)
{
    auto st = dir.status(kManifestFileName);
    if (!st)
        return std::unexpected(st.error());
    if (st->type == EntryType::Missing)
        return std::optional<ManifestCopies>();
    auto fd = dir.openForReading(kManifestFileName);
    if (!fd)
        return std::unexpected(fd.error());
    const std::string path = dir.filePath(kManifestFileName);
    struct stat s {
    };
    if (::fstat(fd->get(), &s) != 0)
        return failErrno(errno, path, "fstat");
    // Only the first 64 bytes mean anything; a longer file is read as if cut.
    std::vector<uint8_t> bytes(size_t(std::min<uint64_t>(uint64_t(s.st_size), ManifestCopies::kEncodedSizeOfFile)));
    if (auto r = readAll(fd->get(), bytes, 0, path); !r)
        return std::unexpected(r.error());
    auto copies = ManifestCopies::decode(bytes, path);
    if (!copies)
        return std::unexpected(copies.error());
    copies->fileSize = uint64_t(s.st_size);
    return std::optional<ManifestCopies>(*copies);
}

Result<ManifestCopies> ManifestFile::save(
    const Directory &dir, const std::optional<ManifestCopies> &current, uint32_t gen, uint32_t tableLen)
{
    const std::string path = dir.filePath(kManifestFileName);
    ManifestCopies next = current.value_or(ManifestCopies {});
    const int active = next.activeIndex();
    const int target = 1 - active;
    uint64_t nonce = next.active().nonce + 1;
    // A copy written out of parity would be overwritten by the save after
    // this one while still active; stepping the nonce keeps the A/B rule.
    if (int(nonce & 1) != target)
        ++nonce;
    next.copies[size_t(target)] = Manifest {nonce, gen, tableLen};
    next.reservedZero[size_t(target)] = true;

    const bool created = !current.has_value();
    UniqueFd fd;
    if (created) {
        auto st = dir.status(kManifestFileName);
        if (!st)
            return std::unexpected(st.error());
        if (st->type != EntryType::Missing)
            return fail(
                ErrorKind::Invalid, path, "manifest appeared while the shard was open; refusing to overwrite it");
        // A crash between creating MF and writing it would leave an MF too
        // short to load, and readers refuse the shard; so the new MF is
        // written whole under a temporary name, synced, and renamed into place.
        const std::string tmpName = std::string(kManifestFileName) + ".tmp";
        const std::string tmpPath = dir.filePath(tmpName);
        if (auto r = dir.remove(tmpName); !r)
            return std::unexpected(r.error());
        auto made = dir.createFile(tmpName, 0);
        if (!made)
            return std::unexpected(made.error());
        fd = std::move(*made);
        // A new MF gets both copies in one write: the untouched one stays zero.
        std::array<uint8_t, ManifestCopies::kEncodedSizeOfFile> image {};
        next.copies[size_t(target)].encodeTo(image.data() + size_t(target) * Manifest::kEncodedSize);
        auto written = writeAll(fd.get(), image, 0, tmpPath);
        if (written)
            written = syncFile(fd.get(), tmpPath);
        if (written)
            written = dir.rename(tmpName, kManifestFileName);
        if (!written) {
            (void)dir.remove(tmpName);
            return std::unexpected(written.error());
        }
    } else {
        auto opened = dir.openForWriting(kManifestFileName);
        if (!opened)
            return std::unexpected(opened.error());
        fd = std::move(*opened);
        std::array<uint8_t, Manifest::kEncodedSize> copy {};
        next.copies[size_t(target)].encodeTo(copy.data());
        if (auto r = writeAll(fd.get(), copy, uint64_t(target) * Manifest::kEncodedSize, path); !r)
            return std::unexpected(r.error());
        if (auto r = syncFile(fd.get(), path); !r)
            return std::unexpected(r.error());
    }
    if (created) {
        if (auto r = dir.sync(); !r)
            return std::unexpected(r.error());
    }
    next.fileSize = std::max<uint64_t>(next.fileSize, ManifestCopies::kEncodedSizeOfFile);
    return next;
}

} // namespace shardscope
