// Guesses what an entry holds from its first bytes, so the slot table can
// show a type column and the preview pane can pick a syntax definition
// without the user choosing one. It never sees more than a sample (the
// first kSampleSize bytes), so every rule here must also hold for a prefix
// that was cut in the middle of a character, a token or a line.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <cstdint>

namespace shardscope {

enum class ContentKind : uint8_t {
    // Not sniffed (a tombstone, an entry outside the pack); sniffContent()
    // never answers it, so a cache can use 0 for "not yet".
    Unknown = 0,
    Empty,
    Png,
    Jpeg,
    Gif,
    Image, // another format QImageReader recognises
    Json,
    Xml,
    Html,
    Shell, // starts with "#!"
    Yaml,
    Markdown,
    Ini,
    Text, // valid UTF-8 without control characters, nothing more specific
    Binary,
};

struct ContentType {
    ContentKind kind = ContentKind::Unknown;
    // The KSyntaxHighlighting definition to show the content with; "None"
    // (plain text, no highlighting) for everything that is not a known text
    // format. Only a name: the model layer does not link KSyntaxHighlighting.
    QString definition;
    // For images: the QImageReader format name ("png", "jpeg", "bmp", ...).
    QByteArray imageFormat;

    [[nodiscard]] bool isText() const;
    [[nodiscard]] bool isImage() const;
};

// The figures the preview shows for content it cannot display.
struct ByteSummary {
    qint64 size = 0;
    // Shannon entropy of the byte values, 0..8 bits per byte: near 8 means
    // compressed or encrypted, low means repetitive.
    double entropy = 0.0;

    [[nodiscard]] QString text() const;
};

// How much of an entry sniffContent() needs.
inline constexpr qsizetype kSniffSampleSize = 4096;

// `sample` is the start of the entry (at most kSniffSampleSize bytes are
// looked at), `totalLength` its full length: when the sample is shorter, a
// character, string or line cut at the end of the sample is not held against
// the content.
[[nodiscard]] ContentType sniffContent(QByteArrayView sample, qint64 totalLength);
// The same for a sample that is the whole entry.
[[nodiscard]] inline ContentType sniffContent(QByteArrayView bytes)
{
    return sniffContent(bytes, bytes.size());
}

// A short name for the type column ("JSON", "PNG image", "binary", ...).
[[nodiscard]] QString contentKindName(ContentKind kind);
// The definition a kind maps to when nothing more is known ("Bash" for Shell,
// "None" for images, text and binary).
[[nodiscard]] QString definitionNameFor(ContentKind kind);

[[nodiscard]] ByteSummary summarizeBytes(QByteArrayView bytes);

} // namespace shardscope
