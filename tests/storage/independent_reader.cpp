// Written from FORMAT.md only; see the header.
#include "independent_reader.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace independent {

namespace {

struct FileCloser {
    void operator()(std::FILE *f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

uint32_t le32(const uint8_t *p)
{
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

uint64_t le64(const uint8_t *p)
{
    return uint64_t(le32(p)) | uint64_t(le32(p + 4)) << 32;
}

bool fileSize(std::FILE *f, uint64_t &size)
{
    if (fseeko(f, 0, SEEK_END) != 0)
        return false;
    const off_t end = ftello(f);
    if (end < 0)
        return false;
    size = uint64_t(end);
    return true;
}

bool readAt(std::FILE *f, uint64_t offset, uint8_t *out, size_t n)
{
    if (n == 0)
        return true;
    if (fseeko(f, off_t(offset), SEEK_SET) != 0)
        return false;
    return std::fread(out, 1, n, f) == n;
}

std::string genName(uint32_t gen, const char *ext)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08x.%s", gen, ext);
    return buf;
}

bool isRegularFile(const std::string &path)
{
    std::error_code ec;
    return std::filesystem::is_regular_file(std::filesystem::symlink_status(path, ec));
}

} // namespace

std::string hex(const uint8_t *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s += digits[bytes[i] >> 4];
        s += digits[bytes[i] & 15];
    }
    return s;
}

int compareKeys(const KeyBytes &a, const KeyBytes &b)
{
    for (int w = 0; w < 3; ++w) {
        const uint64_t x = le64(a.data() + 8 * w);
        const uint64_t y = le64(b.data() + 8 * w);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

const Slot *ShardImage::find(const KeyBytes &key) const
{
    for (const Slot &s : entries) {
        if (!s.tombstone && s.key == key)
            return &s;
    }
    return nullptr;
}

bool readGeneration(const std::string &dir, uint32_t gen, uint32_t count, ShardImage &out, std::string &error)
{
    const std::string tablePath = dir + "/" + genName(gen, "slot");
    const std::string packPath = dir + "/" + genName(gen, "pack");
    if (!isRegularFile(tablePath) || !isRegularFile(packPath)) {
        error = "table or pack of generation " + std::to_string(gen) + " is missing or not a regular file";
        return false;
    }
    File table(std::fopen(tablePath.c_str(), "rb"));
    File pack(std::fopen(packPath.c_str(), "rb"));
    if (!table || !pack) {
        error = "cannot open the table or pack of generation " + std::to_string(gen);
        return false;
    }
    uint64_t tableSize = 0;
    if (!fileSize(table.get(), tableSize) || !fileSize(pack.get(), out.packSize)) {
        error = "cannot size the table or pack";
        return false;
    }
    if (tableSize == 0 || tableSize % 32 != 0) {
        error = tablePath + ": size " + std::to_string(tableSize) + " is not a positive multiple of 32";
        return false;
    }
    out.capacity = tableSize / 32;
    const uint64_t n = std::min<uint64_t>(count, out.capacity);
    std::vector<uint8_t> raw(size_t(n) * 32);
    if (!readAt(table.get(), 0, raw.data(), raw.size())) {
        error = tablePath + ": short read";
        return false;
    }
    out.entries.clear();
    for (uint64_t i = 0; i < n; ++i) {
        const uint8_t *p = raw.data() + i * 32;
        Slot s;
        s.index = uint32_t(i);
        std::copy(p, p + 24, s.key.begin());
        s.offset = le32(p + 24);
        s.len = le32(p + 28);
        s.tombstone = s.offset == 0xFFFFFFFFu;
        s.inPack = uint64_t(s.offset) + s.len <= out.packSize;
        if (!s.tombstone && s.inPack) {
            s.data.resize(s.len);
            if (!readAt(pack.get(), s.offset, s.data.data(), s.len)) {
                error = packPath + ": short read at " + std::to_string(s.offset);
                return false;
            }
        }
        out.entries.push_back(std::move(s));
    }
    return true;
}

bool readShard(const std::string &dir, ShardImage &out, std::string &error)
{
    out = ShardImage {};
    const std::string mfPath = dir + "/MF";
    std::error_code ec;
    if (std::filesystem::symlink_status(mfPath, ec).type() != std::filesystem::file_type::not_found) {
        if (!isRegularFile(mfPath)) {
            error = "MF is not a regular file";
            return false;
        }
        File mf(std::fopen(mfPath.c_str(), "rb"));
        uint8_t raw[64];
        uint64_t size = 0;
        if (!mf || !fileSize(mf.get(), size)) {
            error = "cannot open MF";
            return false;
        }
        if (size < 64 || !readAt(mf.get(), 0, raw, 64)) {
            error = "MF is shorter than 64 bytes";
            return false;
        }
        for (int c = 0; c < 2; ++c) {
            out.copies[c].nonce = le64(raw + 32 * c);
            out.copies[c].gen = le32(raw + 32 * c + 8);
            out.copies[c].tableLen = le32(raw + 32 * c + 12);
        }
        out.hasManifest = true;
        out.active = out.copies[1].nonce > out.copies[0].nonce ? 1 : 0;
        out.nonce = out.copies[out.active].nonce;
        out.gen = out.copies[out.active].gen;
        out.tableLen = out.copies[out.active].tableLen;
    }
    return readGeneration(dir, out.gen, out.tableLen, out, error);
}

bool storeGet(
    const std::string &root, const Cid &cid, std::optional<std::vector<uint8_t>> &out, int &depth, std::string &error)
{
    out.reset();
    std::string dir = root;
    for (depth = 0; depth <= 8; ++depth) {
        ShardImage image;
        if (!readShard(dir, image, error)) {
            error = dir + ": " + error;
            return false;
        }
        KeyBytes key;
        std::copy(cid.begin() + depth, cid.begin() + depth + 24, key.begin());
        if (const Slot *s = image.find(key)) {
            if (!s->inPack) {
                error = dir + ": the blob's slot points outside the pack";
                return false;
            }
            out = s->data;
            return true;
        }
        if (depth == 8)
            break;
        const std::string child = dir + "/" + hex(&cid[size_t(depth)], 1);
        std::error_code ec;
        if (!std::filesystem::is_directory(std::filesystem::symlink_status(child, ec)))
            break;
        dir = child;
    }
    depth = -1;
    return true;
}

} // namespace independent
