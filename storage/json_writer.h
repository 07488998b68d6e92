// A small streaming JSON writer for the reports the tools print (dump, and
// later check). Keys come out in the order written, so output is stable and
// reads like the reference's own .expect.json files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shardscope {

class JsonWriter
{
public:
    explicit JsonWriter(int indent = 2) : m_indent(indent) { }

    JsonWriter &beginObject();
    JsonWriter &endObject();
    JsonWriter &beginArray();
    JsonWriter &endArray();
    JsonWriter &key(std::string_view name);
    JsonWriter &value(std::string_view s);
    JsonWriter &value(const char *s) { return value(std::string_view(s)); }
    JsonWriter &value(uint64_t n);
    JsonWriter &value(int64_t n);
    JsonWriter &value(int n) { return value(int64_t(n)); }
    JsonWriter &value(uint32_t n) { return value(uint64_t(n)); }
    JsonWriter &value(bool b);
    JsonWriter &null();

    [[nodiscard]] const std::string &str() const { return m_out; }

private:
    void beforeValue();
    void newline();
    void raw(std::string_view s) { m_out += s; }

    struct Level {
        bool isObject;
        bool empty;
    };
    std::string m_out;
    std::vector<Level> m_stack;
    bool m_afterKey = false;
    int m_indent;
};

} // namespace shardscope
