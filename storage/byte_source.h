// Every read of file bytes goes through a ByteSource: a bounds-checked,
// read-only window on a file or a buffer. Offsets are 64-bit throughout.
#pragma once

#include "error.h"
#include "unique_fd.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace shardscope {

class ByteSource
{
public:
    virtual ~ByteSource() = default;
    [[nodiscard]] virtual uint64_t size() const = 0;
    // The name used in error messages (a path for files).
    [[nodiscard]] virtual const std::string &name() const = 0;
    // All of [offset, offset+length), or a Corrupt error naming the offset
    // when the range does not lie inside the source.
    [[nodiscard]] Result<std::span<const uint8_t>> read(uint64_t offset, uint64_t length) const;
    [[nodiscard]] bool contains(uint64_t offset, uint64_t length) const
    {
        return offset <= size() && length <= size() - offset;
    }

protected:
    // Called only with ranges that contains() accepted.
    [[nodiscard]] virtual const uint8_t *at(uint64_t offset) const = 0;
};

// Bytes held in memory; tests and the fuzzer use it.
class MemoryByteSource final : public ByteSource
{
public:
    MemoryByteSource(std::vector<uint8_t> bytes, std::string name);
    [[nodiscard]] uint64_t size() const override { return m_bytes.size(); }
    [[nodiscard]] const std::string &name() const override { return m_name; }

private:
    [[nodiscard]] const uint8_t *at(uint64_t offset) const override { return m_bytes.data() + offset; }
    std::vector<uint8_t> m_bytes;
    std::string m_name;
};

// A whole regular file mapped read-only (PROT_READ, so no stray write can
// reach the file through it). The size is taken once, when mapping.
class MappedFile final : public ByteSource
{
public:
    [[nodiscard]] static Result<MappedFile> map(int fd, std::string path);
    MappedFile(MappedFile &&other) noexcept;
    MappedFile &operator=(MappedFile &&other) noexcept;
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;
    ~MappedFile() override;

    [[nodiscard]] uint64_t size() const override { return m_size; }
    [[nodiscard]] const std::string &name() const override { return m_path; }

private:
    MappedFile() = default;
    [[nodiscard]] const uint8_t *at(uint64_t offset) const override { return m_data + offset; }
    void unmap();

    const uint8_t *m_data = nullptr;
    uint64_t m_size = 0;
    std::string m_path;
};

} // namespace shardscope
