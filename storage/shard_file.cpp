#include "shard_file.h"

#include "format.h"
#include "iovec_cursor.h"

#include <sys/uio.h>

#include <cerrno>

namespace shardscope {

Result<ShardFile> ShardFile::open(const Directory &dir, const std::string &name, Access access)
{
    auto fd = access == Access::ReadWrite ? dir.openForWriting(name) : dir.openForReading(name);
    if (!fd)
        return std::unexpected(fd.error());
    auto mapped = MappedFile::map(fd->get(), dir.filePath(name));
    if (!mapped)
        return std::unexpected(mapped.error());
    ShardFile file;
    file.m_source = std::make_unique<MappedFile>(std::move(*mapped));
    file.m_fd = std::move(*fd);
    file.m_writable = access == Access::ReadWrite;
    return file;
}

ShardFile ShardFile::fromSource(std::unique_ptr<ByteSource> source)
{
    ShardFile file;
    file.m_source = std::move(source);
    return file;
}

Result<void> ShardFile::write(uint64_t offset, std::span<const uint8_t> bytes) const
{
    if (!writable())
        return fail(ErrorKind::Invalid, path(), "opened read-only");
    // Writes never grow the file: it was sized when created, and the mapping
    // only covers that size.
    if (!m_source->contains(offset, bytes.size()))
        return fail(
            ErrorKind::Invalid, path(), "write of " + std::to_string(bytes.size()) + " bytes past the end", offset);
    return writeAll(m_fd.get(), bytes, offset, path());
}

Result<void> ShardFile::readScattered(uint64_t offset, std::span<const std::span<uint8_t>> parts) const
{
    if (!m_fd.valid())
        return fail(ErrorKind::Invalid, path(), "not backed by a file");
    uint64_t total = 0;
    for (const auto &p : parts)
        total += p.size();
    if (!m_source->contains(offset, total))
        return fail(ErrorKind::Corrupt, path(), "read of " + std::to_string(total) + " bytes past the end", offset);
    IovecCursor<uint8_t> cursor(parts);
    iovec vec[IovecCursor<uint8_t>::kMaxPerCall];
    uint64_t asked = 0;
    while (const size_t count = cursor.fill(vec, asked)) {
        const ssize_t n = ::preadv(m_fd.get(), vec, int(count), off_t(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            auto e = failErrno(errno, path(), "read");
            e.error().offset = offset;
            return e;
        }
        if (n == 0)
            return fail(ErrorKind::Corrupt, path(), "file ends early", offset);
        offset += uint64_t(n);
        // A part filled halfway continues.
        cursor.advance(uint64_t(n));
    }
    return {};
}

Result<void> ShardFile::sync() const
{
    if (!writable())
        return {};
    return syncData(m_fd.get(), path());
}

Table::Table(ShardFile file) : m_file(std::move(file))
{
    m_capacity = uint32_t(m_file.size() / kTableEntrySize);
    if (m_capacity > 0)
        m_base = m_file.bytes().read(0, uint64_t(m_capacity) * kTableEntrySize)->data();
}

Result<Table> Table::open(const Directory &dir, uint32_t gen, ShardFile::Access access)
{
    auto file = ShardFile::open(dir, tableFileName(gen), access);
    if (!file)
        return std::unexpected(file.error());
    return fromFile(std::move(*file));
}

Result<Table> Table::fromFile(ShardFile file)
{
    const uint64_t size = file.size();
    if (size == 0)
        return fail(ErrorKind::Corrupt, file.path(), "table file is empty; it must hold at least one 32-byte slot", 0);
    if (size % kTableEntrySize != 0) {
        return fail(ErrorKind::Corrupt, file.path(),
            "table file size " + std::to_string(size) + " is not a multiple of 32; the last slot is cut short",
            size - size % kTableEntrySize);
    }
    if (size > uint64_t(kMaxTableSlots) * kTableEntrySize)
        return fail(ErrorKind::Corrupt, file.path(), "table file is larger than 4 GiB, beyond any u32 table length", 0);
    return Table(std::move(file));
}

Entry Table::slot(uint32_t slot) const
{
    return Entry::decode(m_base + uint64_t(slot) * kTableEntrySize);
}

Result<void> Table::writeSlot(uint32_t slot, const Entry &entry) const
{
    std::array<uint8_t, kTableEntrySize> raw {};
    entry.encodeTo(raw.data());
    return m_file.write(uint64_t(slot) * kTableEntrySize, raw);
}

Result<Pack> Pack::open(const Directory &dir, uint32_t gen, ShardFile::Access access)
{
    auto file = ShardFile::open(dir, packFileName(gen), access);
    if (!file)
        return std::unexpected(file.error());
    return fromFile(std::move(*file));
}

Result<Pack> Pack::fromFile(ShardFile file)
{
    return Pack(std::move(file));
}

bool ShardFile::truncatedSinceMapped() const
{
    const auto *mapped = dynamic_cast<const MappedFile *>(m_source.get());
    return mapped && mapped->truncatedSinceMapped();
}

std::optional<uint64_t> ShardFile::currentSize() const
{
    const auto *mapped = dynamic_cast<const MappedFile *>(m_source.get());
    if (!mapped || !m_fd.valid())
        return std::nullopt;
    auto check = mapped->checkSize(m_fd.get());
    if (!check)
        return std::nullopt;
    return check->fileSize;
}

} // namespace shardscope
