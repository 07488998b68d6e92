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
//
// Another process may truncate the file while it is mapped; touching a page
// past the new end would then raise SIGBUS and kill the process. So every
// mapping is registered with a process-wide SIGBUS handler (installed by the
// first map()): a fault inside a registered mapping puts zero pages over the
// rest of that mapping and marks it, and the read carries on seeing zeros.
// truncatedSinceMapped() and checkSize() let the owner notice and reopen.
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

    // Whether a fault inside this mapping is caught. False for an empty file
    // (nothing is mapped) and when the registry of mappings is full (more
    // than kGuardCapacity live mappings); such a mapping behaves as before.
    [[nodiscard]] bool guarded() const { return m_guardSlot >= 0; }
    // A read touched a page that the file no longer has since it was mapped:
    // the file was truncated under us, and part of what was read is zeros
    // that are not the file's bytes. It stays set until the mapping goes.
    [[nodiscard]] bool truncatedSinceMapped() const;

    struct SizeCheck {
        uint64_t mappedSize = 0; // size() as taken at map time
        uint64_t fileSize = 0; // the size the file has now
        [[nodiscard]] bool shrunk() const { return fileSize < mappedSize; }
        [[nodiscard]] bool grew() const { return fileSize > mappedSize; }
    };
    // Asks the file system for the file's current size through `fd`, which
    // must be a descriptor of the file that was mapped (the one given to
    // map() or another one for the same inode; an Invalid error otherwise).
    // A shrunk file means reads past fileSize return zeros, or would have.
    [[nodiscard]] Result<SizeCheck> checkSize(int fd) const;

    // Most mappings guarded at one time; further mappings are unguarded.
    static constexpr int kGuardCapacity = 4096;

private:
    MappedFile() = default;
    [[nodiscard]] const uint8_t *at(uint64_t offset) const override { return m_data + offset; }
    void unmap();

    const uint8_t *m_data = nullptr;
    uint64_t m_size = 0;
    std::string m_path;
    int m_guardSlot = -1;
    uint64_t m_device = 0;
    uint64_t m_inode = 0;
};

// The process-wide SIGBUS handler behind MappedFile. Faults outside every
// registered mapping (and SIGBUS sent by kill or raise) go to the handler
// that was installed before it: called if it is a function, the default
// action (death by SIGBUS) if it was SIG_DFL or SIG_IGN.
namespace sigbus_guard {
// Installs the handler unless it already is the SIGBUS disposition; the
// disposition it replaces becomes the one it chains to. MappedFile::map calls
// it once per process. Call it again only to take SIGBUS back from a handler
// installed later that does not chain to this one (a handler that chains
// back here would then be called in a loop for faults that are not ours).
void install();
// Whether the handler is the current SIGBUS disposition.
[[nodiscard]] bool installed();
// Whether the address lies inside a registered mapping.
[[nodiscard]] bool covers(const void *address);
} // namespace sigbus_guard

} // namespace shardscope
