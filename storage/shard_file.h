// The table and the pack of one generation: a regular file inside the shard
// directory, mapped read-only for reads. Writes go through the descriptor with
// pwrite, never through the mapping, so that a full disk is an error value
// (ENOSPC) instead of a SIGBUS on a sparse page.
#pragma once

#include "byte_source.h"
#include "directory.h"
#include "entry.h"

#include <memory>
#include <optional>

namespace shardscope {

class ShardFile
{
public:
    enum class Access { ReadOnly, ReadWrite };
    [[nodiscard]] static Result<ShardFile> open(const Directory &dir, const std::string &name, Access access);
    // Wraps bytes that did not come from a file (tests, fuzzing); read-only.
    [[nodiscard]] static ShardFile fromSource(std::unique_ptr<ByteSource> source);

    [[nodiscard]] const ByteSource &bytes() const { return *m_source; }
    [[nodiscard]] uint64_t size() const { return m_source->size(); }
    [[nodiscard]] const std::string &path() const { return m_source->name(); }
    [[nodiscard]] bool writable() const { return m_fd.valid() && m_writable; }
    // Opened from a directory, so readScattered() works.
    [[nodiscard]] bool hasDescriptor() const { return m_fd.valid(); }

    [[nodiscard]] Result<void> write(uint64_t offset, std::span<const uint8_t> bytes) const;
    // Reads consecutive file bytes from `offset` into the parts in turn
    // (preadv) through the descriptor rather than the mapping: one system
    // call scatters many entries, where the mapping would fault once per
    // page. Only for files opened from a directory.
    [[nodiscard]] Result<void> readScattered(uint64_t offset, std::span<const std::span<uint8_t>> parts) const;
    [[nodiscard]] Result<void> sync() const;

    // A file another process shrank under the mapping: reads past its new end
    // saw zeros (the SIGBUS guard's pages) rather than the file's bytes.
    [[nodiscard]] bool truncatedSinceMapped() const;
    // The size the file has now; nullopt for bytes not from a file.
    [[nodiscard]] std::optional<uint64_t> currentSize() const;

private:
    ShardFile() = default;
    std::unique_ptr<ByteSource> m_source;
    UniqueFd m_fd;
    bool m_writable = false;
};

// A table file: capacity = size / 32 slots.
class Table
{
public:
    [[nodiscard]] static Result<Table> open(const Directory &dir, uint32_t gen, ShardFile::Access access);
    // Validates the size: a positive multiple of 32 bytes, at most 4 GiB.
    [[nodiscard]] static Result<Table> fromFile(ShardFile file);

    [[nodiscard]] uint32_t capacity() const { return m_capacity; }
    // Precondition: slot < capacity().
    [[nodiscard]] Entry slot(uint32_t slot) const;
    [[nodiscard]] const ShardFile &file() const { return m_file; }

    [[nodiscard]] Result<void> writeSlot(uint32_t slot, const Entry &entry) const;
    [[nodiscard]] Result<void> sync() const { return m_file.sync(); }

private:
    explicit Table(ShardFile file);
    ShardFile m_file;
    const uint8_t *m_base = nullptr;
    uint32_t m_capacity = 0;
};

// A pack file: the entries' bytes, addressed by u32 offsets.
class Pack
{
public:
    [[nodiscard]] static Result<Pack> open(const Directory &dir, uint32_t gen, ShardFile::Access access);
    [[nodiscard]] static Result<Pack> fromFile(ShardFile file);

    [[nodiscard]] uint64_t size() const { return m_file.size(); }
    // The entry's bytes, or a Corrupt error naming the pack and the offset
    // when [offset, offset+len) is not inside the pack.
    [[nodiscard]] Result<std::span<const uint8_t>> read(uint32_t offset, uint32_t len) const
    {
        return m_file.bytes().read(offset, len);
    }
    [[nodiscard]] const ShardFile &file() const { return m_file; }

    [[nodiscard]] Result<void> write(uint32_t offset, std::span<const uint8_t> bytes) const
    {
        return m_file.write(offset, bytes);
    }
    [[nodiscard]] Result<void> sync() const { return m_file.sync(); }

private:
    explicit Pack(ShardFile file) : m_file(std::move(file)) { }
    ShardFile m_file;
};

} // namespace shardscope
