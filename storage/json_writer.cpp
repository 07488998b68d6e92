#include "json_writer.h"

#include <cstdio>

namespace shardscope {

void JsonWriter::newline()
{
    if (m_indent <= 0)
        return;
    m_out += '\n';
    m_out.append(m_stack.size() * size_t(m_indent), ' ');
}

void JsonWriter::beforeValue()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (m_stack.empty())
        return;
    Level &top = m_stack.back();
    if (!top.empty)
        m_out += ',';
    top.empty = false;
    newline();
}

JsonWriter &JsonWriter::beginObject()
{
    beforeValue();
    m_out += '{';
    m_stack.push_back({true, true});
    return *this;
}

JsonWriter &JsonWriter::endObject()
{
    const bool empty = m_stack.back().empty;
    m_stack.pop_back();
    if (!empty)
        newline();
    m_out += '}';
    if (m_stack.empty() && m_indent > 0)
        m_out += '\n';
    return *this;
}

JsonWriter &JsonWriter::beginArray()
{
    beforeValue();
    m_out += '[';
    m_stack.push_back({false, true});
    return *this;
}

JsonWriter &JsonWriter::endArray()
{
    const bool empty = m_stack.back().empty;
    m_stack.pop_back();
    if (!empty)
        newline();
    m_out += ']';
    if (m_stack.empty() && m_indent > 0)
        m_out += '\n';
    return *this;
}

JsonWriter &JsonWriter::key(std::string_view name)
{
    value(name);
    m_out += m_indent > 0 ? ": " : ":";
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::value(std::string_view s)
{
    beforeValue();
    m_out += '"';
    for (const char c : s) {
        switch (c) {
        case '"':
            raw("\\\"");
            break;
        case '\\':
            raw("\\\\");
            break;
        case '\n':
            raw("\\n");
            break;
        case '\r':
            raw("\\r");
            break;
        case '\t':
            raw("\\t");
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
                raw(buf);
            } else {
                m_out += c;
            }
        }
    }
    m_out += '"';
    return *this;
}

JsonWriter &JsonWriter::value(uint64_t n)
{
    beforeValue();
    m_out += std::to_string(n);
    return *this;
}

JsonWriter &JsonWriter::value(int64_t n)
{
    beforeValue();
    m_out += std::to_string(n);
    return *this;
}

JsonWriter &JsonWriter::value(bool b)
{
    beforeValue();
    raw(b ? "true" : "false");
    return *this;
}

JsonWriter &JsonWriter::null()
{
    beforeValue();
    raw("null");
    return *this;
}

} // namespace shardscope
