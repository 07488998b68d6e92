#include "byte_source.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

namespace shardscope {

Result<std::span<const uint8_t>> ByteSource::read(uint64_t offset, uint64_t length) const
{
    if (!contains(offset, length)) {
        return fail(ErrorKind::Corrupt, name(),
            "range of " + std::to_string(length) + " bytes lies beyond the end of the file (size "
                + std::to_string(size()) + ")",
            offset);
    }
    if (length == 0)
        return std::span<const uint8_t>();
    return std::span<const uint8_t>(at(offset), size_t(length));
}

MemoryByteSource::MemoryByteSource(std::vector<uint8_t> bytes, std::string name)
    : m_bytes(std::move(bytes)), m_name(std::move(name))
{ }

Result<MappedFile> MappedFile::map(int fd, std::string path)
{
    struct stat st {
    };
    if (::fstat(fd, &st) != 0)
        return failErrno(errno, path, "fstat");
    MappedFile file;
    file.m_path = std::move(path);
    file.m_size = uint64_t(st.st_size);
    if (file.m_size == 0)
        return file;
    void *p = ::mmap(nullptr, size_t(file.m_size), PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return failErrno(errno, file.m_path, "mmap");
    file.m_data = static_cast<const uint8_t *>(p);
    return file;
}

MappedFile::MappedFile(MappedFile &&other) noexcept
    : m_data(std::exchange(other.m_data, nullptr))
    , m_size(std::exchange(other.m_size, 0))
    , m_path(std::move(other.m_path))
{ }

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept
{
    if (this != &other) {
        unmap();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_path = std::move(other.m_path);
    }
    return *this;
}

MappedFile::~MappedFile()
{
    unmap();
}

void MappedFile::unmap()
{
    if (m_data)
        ::munmap(const_cast<uint8_t *>(m_data), size_t(m_size));
    m_data = nullptr;
}

} // namespace shardscope
