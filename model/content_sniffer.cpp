#include "content_sniffer.h"

#include <QBuffer>
#include <QCoreApplication>
#include <QImageReader>
#include <QLocale>

#include <array>
#include <cmath>
#include <vector>

namespace shardscope {

namespace {

constexpr QByteArrayView kUtf8Bom("\xEF\xBB\xBF", 3);

bool startsWith(QByteArrayView bytes, QByteArrayView prefix)
{
    return bytes.size() >= prefix.size() && bytes.first(prefix.size()) == prefix;
}

// ---------------------------------------------------------------------------
// UTF-8

enum class Utf8 { Valid, Invalid };

struct TextScan {
    Utf8 validity = Utf8::Valid;
    qsizetype controls = 0; // characters no text file holds (NUL counted separately)
    qsizetype nuls = 0;
};

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
// A sequence cut by the end of a truncated sample is accepted: the 4 KiB cut
// lands inside a multi-byte character often enough in non-Latin text.
TextScan scanText(QByteArrayView bytes, bool truncated)
{
    TextScan scan;
    const auto *p = reinterpret_cast<const uint8_t *>(bytes.data());
    const qsizetype n = bytes.size();
    qsizetype i = 0;
    while (i < n) {
        const uint8_t c = p[i];
        if (c < 0x80) {
            if (c == 0)
                ++scan.nuls;
            // Tab, line feed, vertical tab, form feed, carriage return and
            // escape (ANSI colours in logs) are at home in text.
            else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != 0x1b)
                || c == 0x7f)
                ++scan.controls;
            ++i;
            continue;
        }
        int extra = 0;
        uint32_t cp = 0;
        uint32_t min = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            scan.validity = Utf8::Invalid;
            return scan;
        }
        if (i + extra >= n) {
            // Fewer continuation bytes remain than the lead byte announces.
            if (!truncated) {
                scan.validity = Utf8::Invalid;
                return scan;
            }
            for (qsizetype k = i + 1; k < n; ++k) {
                if ((p[k] & 0xC0) != 0x80) {
                    scan.validity = Utf8::Invalid;
                    return scan;
                }
            }
            return scan;
        }
        for (int k = 1; k <= extra; ++k) {
            const uint8_t cc = p[i + k];
            if ((cc & 0xC0) != 0x80) {
                scan.validity = Utf8::Invalid;
                return scan;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            scan.validity = Utf8::Invalid;
            return scan;
        }
        if (cp >= 0x80 && cp <= 0x9F)
            ++scan.controls;
        i += extra + 1;
    }
    return scan;
}

// ---------------------------------------------------------------------------
// JSON

bool isJsonSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Whether `s` is JSON, or when `truncated`, the start of some JSON text.
// Only objects and arrays count (a lone number or string is just text);
// several top-level values in a row (JSON Lines) are accepted.
bool looksLikeJson(QByteArrayView s, bool truncated)
{
    enum class Want { Value, ValueOrClose, Key, KeyOrClose, Colon, CommaOrClose, Top };
    std::vector<char> stack; // '{' or '['
    Want want = Want::Top;
    qsizetype i = 0;
    const qsizetype n = s.size();
    int values = 0;

    auto endOfInput = [&] { return truncated; };

    while (true) {
        while (i < n && isJsonSpace(s[i]))
            ++i;
        if (i >= n)
            return want == Want::Top ? values > 0 : endOfInput();
        const char c = s[i];

        if (want == Want::Top) {
            if (c != '{' && c != '[')
                return false;
            want = Want::Value;
        }

        switch (want) {
        case Want::Colon:
            if (c != ':')
                return false;
            ++i;
            want = Want::Value;
            continue;
        case Want::CommaOrClose:
            if (c == ',') {
                ++i;
                want = stack.back() == '{' ? Want::Key : Want::Value;
                continue;
            }
            if ((c == '}' && stack.back() == '{') || (c == ']' && stack.back() == '[')) {
                ++i;
                stack.pop_back();
                want = stack.empty() ? Want::Top : Want::CommaOrClose;
                if (stack.empty())
                    ++values;
                continue;
            }
            return false;
        case Want::KeyOrClose:
            if (c == '}') {
                ++i;
                stack.pop_back();
                want = stack.empty() ? Want::Top : Want::CommaOrClose;
                if (stack.empty())
                    ++values;
                continue;
            }
            [[fallthrough]];
        case Want::Key:
            if (c != '"')
                return false;
            break; // the string is read below
        case Want::ValueOrClose:
            if (c == ']') {
                ++i;
                stack.pop_back();
                want = stack.empty() ? Want::Top : Want::CommaOrClose;
                if (stack.empty())
                    ++values;
                continue;
            }
            break;
        case Want::Value:
        case Want::Top:
            break;
        }

        // A value (or a key, which is a string).
        const bool key = want == Want::Key || want == Want::KeyOrClose;
        if (c == '{' || c == '[') {
            if (stack.size() > 512)
                return false;
            stack.push_back(c);
            ++i;
            want = c == '{' ? Want::KeyOrClose : Want::ValueOrClose;
            continue;
        }
        if (c == '"') {
            ++i;
            while (i < n && s[i] != '"') {
                const auto u = uint8_t(s[i]);
                if (u < 0x20)
                    return false;
                if (s[i] == '\\') {
                    ++i;
                    if (i >= n)
                        break;
                    if (!QByteArrayView("\"\\/bfnrtu").contains(s[i]))
                        return false;
                }
                ++i;
            }
            if (i >= n)
                return endOfInput();
            ++i;
            want = key ? Want::Colon : Want::CommaOrClose;
            continue;
        }
        if (key)
            return false;
        if (c == '-' || (c >= '0' && c <= '9')) {
            qsizetype j = i + 1;
            while (j < n && (QByteArrayView("0123456789+-.eE").contains(s[j])))
                ++j;
            if (j >= n)
                return endOfInput();
            i = j;
            want = Want::CommaOrClose;
            continue;
        }
        bool literal = false;
        for (QByteArrayView word : {QByteArrayView("true"), QByteArrayView("false"), QByteArrayView("null")}) {
            const QByteArrayView rest = s.sliced(i);
            if (startsWith(rest, word)) {
                i += word.size();
                literal = true;
                break;
            }
            if (rest.size() < word.size() && word.first(rest.size()) == rest)
                return endOfInput();
        }
        if (!literal)
            return false;
        want = Want::CommaOrClose;
    }
}

// ---------------------------------------------------------------------------
// Markup

bool isNameStart(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

ContentKind markupKind(QByteArrayView s)
{
    // s starts with '<'.
    const QByteArray head = s.first(std::min<qsizetype>(s.size(), 1024)).toByteArray().toLower();
    // <body> or <head> alone are not enough: XML vocabularies use them too.
    if (head.contains("<!doctype html") || head.contains("<html"))
        return ContentKind::Html;
    if (startsWith(head, "<?xml") || startsWith(head, "<!--") || startsWith(head, "<!doctype")
        || (head.size() > 1 && isNameStart(head[1])))
        return ContentKind::Xml;
    return ContentKind::Text;
}

// ---------------------------------------------------------------------------
// Line-based formats

QByteArrayView trimmed(QByteArrayView line)
{
    return line.trimmed();
}

bool isMarkdownHeading(QByteArrayView line)
{
    qsizetype hashes = 0;
    while (hashes < line.size() && line[hashes] == '#')
        ++hashes;
    return hashes >= 1 && hashes <= 6 && hashes + 1 < line.size() && line[hashes] == ' '
        && !isJsonSpace(line[hashes + 1]);
}

bool isIniSection(QByteArrayView line)
{
    const QByteArrayView t = trimmed(line);
    return t.size() >= 3 && t.front() == '[' && t.back() == ']' && !t.sliced(1, t.size() - 2).contains(']')
        && !t.sliced(1, t.size() - 2).contains('[');
}

bool isKeyChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
        || c == '.';
}

// "key = value" / "key=value" (ini, properties, .env)
bool isIniKeyValue(QByteArrayView line)
{
    const QByteArrayView t = trimmed(line);
    const qsizetype eq = t.indexOf('=');
    if (eq <= 0)
        return false;
    const QByteArrayView key = trimmed(t.first(eq));
    if (key.isEmpty())
        return false;
    for (char c : key) {
        if (!isKeyChar(c) && c != ' ')
            return false;
    }
    return true;
}

// "key: value", "key:" or "- item" (YAML mappings and sequences)
bool isYamlLine(QByteArrayView line, bool *isKey)
{
    QByteArrayView t = line;
    while (!t.isEmpty() && t.front() == ' ')
        t = t.sliced(1);
    if (t.startsWith("- ") || t == "-") {
        *isKey = false;
        return true;
    }
    qsizetype i = 0;
    if (!t.isEmpty() && (t.front() == '"' || t.front() == '\'')) {
        const qsizetype close = t.indexOf(t.front(), 1);
        if (close < 0)
            return false;
        i = close + 1;
    } else {
        while (i < t.size() && (isKeyChar(t[i]) || t[i] == ' '))
            ++i;
        if (i == 0)
            return false;
    }
    if (i >= t.size() || t[i] != ':')
        return false;
    *isKey = true;
    return i + 1 == t.size() || t[i + 1] == ' ' || t[i + 1] == '\t';
}

ContentKind lineFormatKind(QByteArrayView s, bool truncated)
{
    // YAML announces itself with a document marker or a directive.
    if (s.startsWith("%YAML") || s == "---" || s.startsWith("---\n") || s.startsWith("---\r\n") || s.startsWith("--- "))
        return ContentKind::Yaml;

    QList<QByteArrayView> lines;
    for (qsizetype start = 0; start < s.size() && lines.size() < 400;) {
        qsizetype end = s.indexOf('\n', start);
        if (end < 0) {
            // A line cut by the sample's end says nothing reliable.
            if (!truncated)
                lines.append(s.sliced(start));
            break;
        }
        QByteArrayView line = s.sliced(start, end - start);
        if (line.endsWith('\r'))
            line.chop(1);
        lines.append(line);
        start = end + 1;
    }

    int content = 0; // neither blank nor a comment
    int iniSections = 0, iniPairs = 0, yamlKeys = 0, yamlItems = 0, headings = 0, fences = 0, mdOther = 0;
    bool firstIsHeading = false, firstIsSection = false, seenFirst = false;
    for (QByteArrayView line : lines) {
        const QByteArrayView t = trimmed(line);
        if (t.isEmpty())
            continue;
        const bool heading = isMarkdownHeading(t);
        if (!seenFirst) {
            firstIsHeading = heading;
            seenFirst = true;
        }
        if (heading)
            ++headings;
        if (t.startsWith("```") || t.startsWith("~~~"))
            ++fences;
        if (t.front() == '#' || t.front() == ';')
            continue; // comments in ini, YAML and shell; headings counted above
        const bool firstContent = content == 0;
        ++content;
        if (isIniSection(t)) {
            ++iniSections;
            if (firstContent)
                firstIsSection = true;
            continue;
        }
        bool key = false;
        if (isYamlLine(line, &key)) {
            key ? ++yamlKeys : ++yamlItems;
        } else if (isIniKeyValue(t)) {
            ++iniPairs;
        } else if (t.startsWith("* ") || t.startsWith("> ") || t.startsWith("1. ") || t.contains("](")
            || t.contains("**")) {
            ++mdOther;
        }
    }

    if (firstIsHeading && iniSections == 0 && 2 * yamlKeys < content)
        return ContentKind::Markdown;
    if (firstIsSection || (iniPairs >= 2 && 2 * iniPairs >= content))
        return ContentKind::Ini;
    if (yamlKeys >= 1 && content >= 2 && 5 * (yamlKeys + yamlItems) >= 3 * content)
        return ContentKind::Yaml;
    if (headings > 0 || fences >= 2 || mdOther >= 2)
        return ContentKind::Markdown;
    return ContentKind::Text;
}

QString shebangDefinition(QByteArrayView text)
{
    const qsizetype eol = text.indexOf('\n');
    const QByteArray line = (eol < 0 ? text : text.first(eol)).sliced(2).trimmed().toByteArray();
    const QList<QByteArray> words = line.simplified().split(' ');
    QByteArray interpreter = words.value(0);
    interpreter = interpreter.mid(interpreter.lastIndexOf('/') + 1);
    if (interpreter == "env") {
        // "#!/usr/bin/env -S python3 -u": the first word that is not an option.
        for (qsizetype i = 1; i < words.size(); ++i) {
            if (!words.at(i).startsWith('-')) {
                interpreter = words.at(i);
                break;
            }
        }
    }
    if (interpreter.startsWith("python"))
        return QStringLiteral("Python");
    if (interpreter.startsWith("perl"))
        return QStringLiteral("Perl");
    if (interpreter.startsWith("ruby"))
        return QStringLiteral("Ruby");
    if (interpreter == "node" || interpreter == "nodejs")
        return QStringLiteral("JavaScript");
    return QStringLiteral("Bash");
}

ContentType make(ContentKind kind, QString definition = {}, QByteArray imageFormat = {})
{
    return ContentType {
        kind, definition.isEmpty() ? definitionNameFor(kind) : std::move(definition), std::move(imageFormat)};
}

// Formats whose readers accept almost any bytes (no magic number to check),
// so a match on arbitrary binary data would be a guess.
bool isWeakImageFormat(const QByteArray &format)
{
    return format == "wbmp" || format == "tga" || format == "pcx" || format == "xbm" || format == "xpm"
        || format == "pbm" || format == "pgm" || format == "ppm";
}

} // namespace

bool ContentType::isText() const
{
    switch (kind) {
    case ContentKind::Json:
    case ContentKind::Xml:
    case ContentKind::Html:
    case ContentKind::Shell:
    case ContentKind::Yaml:
    case ContentKind::Markdown:
    case ContentKind::Ini:
    case ContentKind::Text:
        return true;
    default:
        return false;
    }
}

bool ContentType::isImage() const
{
    return kind == ContentKind::Png || kind == ContentKind::Jpeg || kind == ContentKind::Gif
        || kind == ContentKind::Image;
}

ContentType sniffContent(QByteArrayView sample, qint64 totalLength)
{
    if (totalLength <= 0 || sample.isEmpty())
        return make(ContentKind::Empty);
    if (sample.size() > kSniffSampleSize)
        sample = sample.first(kSniffSampleSize);
    const bool truncated = sample.size() < totalLength;

    if (startsWith(sample, QByteArrayView("\x89PNG\r\n\x1a\n", 8)))
        return make(ContentKind::Png, {}, "png");
    if (startsWith(sample, QByteArrayView("\xFF\xD8\xFF", 3)))
        return make(ContentKind::Jpeg, {}, "jpeg");
    if (startsWith(sample, "GIF87a") || startsWith(sample, "GIF89a"))
        return make(ContentKind::Gif, {}, "gif");

    QByteArrayView text = sample;
    if (startsWith(text, kUtf8Bom))
        text = text.sliced(kUtf8Bom.size());
    const TextScan scan = scanText(text, truncated);
    // One stray control character in a hundred is still a (damaged) text file;
    // a NUL never is.
    const bool isText = scan.validity == Utf8::Valid && scan.nuls == 0 && scan.controls * 100 <= text.size();

    if (!isText) {
        QBuffer buffer;
        buffer.setData(sample.toByteArray());
        buffer.open(QIODevice::ReadOnly);
        const QByteArray format = QImageReader::imageFormat(&buffer);
        if (!format.isEmpty() && !isWeakImageFormat(format))
            return make(ContentKind::Image, {}, format);
        return make(ContentKind::Binary);
    }

    if (text.isEmpty())
        return make(ContentKind::Text); // a lone BOM
    if (startsWith(text, "#!"))
        return make(ContentKind::Shell, shebangDefinition(text));

    qsizetype start = 0;
    while (start < text.size() && isJsonSpace(text[start]))
        ++start;
    const QByteArrayView s = text.sliced(start);
    if (s.isEmpty())
        return make(ContentKind::Text);
    if ((s.front() == '{' || s.front() == '[') && looksLikeJson(s, truncated))
        return make(ContentKind::Json);
    if (s.front() == '<') {
        const ContentKind markup = markupKind(s);
        if (markup != ContentKind::Text)
            return make(markup);
    }
    return make(lineFormatKind(text, truncated));
}

QString contentKindName(ContentKind kind)
{
    const char *name = nullptr;
    switch (kind) {
    case ContentKind::Unknown:
        return {};
    case ContentKind::Empty:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "empty");
        break;
    case ContentKind::Png:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "PNG image");
        break;
    case ContentKind::Jpeg:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "JPEG image");
        break;
    case ContentKind::Gif:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "GIF image");
        break;
    case ContentKind::Image:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "image");
        break;
    case ContentKind::Json:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "JSON");
        break;
    case ContentKind::Xml:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "XML");
        break;
    case ContentKind::Html:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "HTML");
        break;
    case ContentKind::Shell:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "script");
        break;
    case ContentKind::Yaml:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "YAML");
        break;
    case ContentKind::Markdown:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "Markdown");
        break;
    case ContentKind::Ini:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "INI");
        break;
    case ContentKind::Text:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "text");
        break;
    case ContentKind::Binary:
        name = QT_TRANSLATE_NOOP("ContentSniffer", "binary");
        break;
    }
    return QCoreApplication::translate("ContentSniffer", name);
}

QString definitionNameFor(ContentKind kind)
{
    switch (kind) {
    case ContentKind::Json:
        return QStringLiteral("JSON");
    case ContentKind::Xml:
        return QStringLiteral("XML");
    case ContentKind::Html:
        return QStringLiteral("HTML");
    case ContentKind::Shell:
        return QStringLiteral("Bash");
    case ContentKind::Yaml:
        return QStringLiteral("YAML");
    case ContentKind::Markdown:
        return QStringLiteral("Markdown");
    case ContentKind::Ini:
        return QStringLiteral("INI Files");
    default:
        return QStringLiteral("None");
    }
}

ByteSummary summarizeBytes(QByteArrayView bytes)
{
    ByteSummary summary;
    summary.size = bytes.size();
    if (bytes.isEmpty())
        return summary;
    std::array<qint64, 256> counts {};
    for (char c : bytes)
        ++counts[uint8_t(c)];
    const double n = double(bytes.size());
    double h = 0.0;
    for (qint64 count : counts) {
        if (count == 0)
            continue;
        const double p = double(count) / n;
        h -= p * std::log2(p);
    }
    // -0.0 for a single repeated byte value would print as "-0.00".
    summary.entropy = h > 0.0 ? h : 0.0;
    return summary;
}

QString ByteSummary::text() const
{
    return QCoreApplication::translate("ContentSniffer", "%1 bytes, entropy %2 bits per byte")
        .arg(QLocale().toString(size))
        .arg(entropy, 0, 'f', 2);
}

} // namespace shardscope
