// The bytes a HexView shows. The ui layer never opens files: the application
// hands the view a source, typically an adapter over a storage ByteSource, or
// a BufferHexSource for bytes already in memory. Offsets are 64-bit and count
// from the source's first byte, whatever offset the view displays for it.
#pragma once

#include <QByteArray>
#include <QtGlobal>

#include <cstring>

namespace shardscope {

class HexSource
{
public:
    virtual ~HexSource() = default;
    [[nodiscard]] virtual quint64 size() const = 0;
    // Copies the `length` bytes at `offset` into `out`. The view asks only for
    // ranges inside size(), at most a screenful at a time. False when the
    // bytes cannot be had (an I/O error, a file that shrank): the view then
    // asks again row by row and byte by byte, and shows "??" where it fails.
    [[nodiscard]] virtual bool read(quint64 offset, qint64 length, char *out) const = 0;
};

// Bytes held in memory (an entry copied out, tests).
class BufferHexSource final : public HexSource
{
public:
    explicit BufferHexSource(QByteArray bytes) : m_bytes(std::move(bytes)) { }
    [[nodiscard]] quint64 size() const override { return quint64(m_bytes.size()); }
    [[nodiscard]] bool read(quint64 offset, qint64 length, char *out) const override
    {
        if (length < 0 || offset > size() || quint64(length) > size() - offset)
            return false;
        if (length > 0)
            std::memcpy(out, m_bytes.constData() + offset, size_t(length));
        return true;
    }
    [[nodiscard]] const QByteArray &bytes() const { return m_bytes; }

private:
    QByteArray m_bytes;
};

} // namespace shardscope
