// Paths of the files the shardscope_resources target compiles in. Linking the
// target is enough to make them readable through QFile; no Q_INIT_RESOURCE
// is needed because Qt links the resource initialiser as an object file.
#pragma once

namespace shardscope::resources {

// The application icon (64x64 PNG).
inline constexpr const char *kAppIcon = ":/shardscope/icons/shardscope.png";
// The sample files the demo shard stores, one entry each.
inline constexpr const char *kDemoDir = ":/shardscope/demo";
// Help > Format Guide: the format explained, with the demo as the example.
inline constexpr const char *kFormatGuide = ":/shardscope/guide/format-guide.html";

} // namespace shardscope::resources
