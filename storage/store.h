// A store: a trie of shards. The root directory is a shard; the child for
// byte b lives in the sub-directory "%02x", nested for deeper levels. A blob's
// 32-byte content ID places it: at depth d the shard path is the hex of
// cid[0:d] and its key inside that shard is cid[d:d+24].
#pragma once

#include "shard.h"

#include <array>
#include <map>
#include <memory>
#include <vector>

namespace shardscope {

using ContentId = std::array<uint8_t, 32>;
struct StoreChanges;
class StoreChangePlan;

[[nodiscard]] std::optional<ContentId> contentIdFromHex(std::string_view hex);
// The shard-local key of a content ID at trie depth `depth` (0..8).
[[nodiscard]] Key keyAtDepth(const ContentId &cid, int depth);
// True for a child shard's directory name: two lower-case hex digits.
[[nodiscard]] bool isChildShardName(std::string_view name);
// "ab" below "", "ab/cd" below "ab": the child shard for `byte` below relPath.
[[nodiscard]] std::string childShardPath(const std::string &relPath, uint8_t byte);
// A new child shard is sized like its parent, as the reference sizes it.
[[nodiscard]] ShardGeometry childGeometry(const Shard &parent);

class Store
{
public:
    static constexpr int kMaxDepth = int(sizeof(ContentId) - Key::kSize);

    enum class Access { ReadOnly, ReadWrite };
    [[nodiscard]] static Result<Store> open(const std::string &path, Access access);

    [[nodiscard]] const std::string &path() const { return m_path; }

    // Child shard names (two lower-case hex digits, sorted) below the shard at
    // `relPath` ("" for the root, "ab/cd" deeper); listed when asked, so a big
    // store opens without walking it.
    [[nodiscard]] Result<std::vector<std::string>> children(const std::string &relPath) const;
    // The shard at `relPath`, opened on first use and kept.
    [[nodiscard]] Result<Shard *> shard(const std::string &relPath);
    // The shard at `relPath` opened read-only on its own, whatever the
    // store's access, and not kept: for looking at many shards (a browser
    // counting each child) without holding them all open.
    [[nodiscard]] Result<Shard> openShardReadOnly(const std::string &relPath) const;

    struct Location {
        std::string relPath;
        int depth = 0;
        uint32_t slot = 0;
    };
    [[nodiscard]] Result<std::optional<Location>> locate(const ContentId &cid);
    // The blob's bytes, copied out; nullopt when the store does not hold it.
    [[nodiscard]] Result<std::optional<std::vector<uint8_t>>> get(const ContentId &cid);
    // false when the blob is already stored. Each write is flushed.
    [[nodiscard]] Result<bool> put(const ContentId &cid, std::span<const uint8_t> data);
    [[nodiscard]] Result<bool> remove(const ContentId &cid);

    // True when opening the shard at relPath failed with `openError` for a
    // file missing from a directory without MF: a shard that has committed
    // nothing.
    [[nodiscard]] Result<bool> committedNothing(const std::string &relPath, const Error &openError) const;

private:
    friend class StoreChangePlan;

    Store(std::string path, Access access);
    // The shard at relPath for writing. A directory without MF (a child made
    // by hand, or left part-made by a writer that stopped) is hydrated with
    // `geometry`, as the reference hydrates every shard it visits; files it
    // already has are kept.
    [[nodiscard]] Result<Shard *> writableShard(const std::string &relPath, const ShardGeometry &geometry);
    // The shard at relPath for writing, or nullopt when it has committed
    // nothing and its files are not all there (nothing is created).
    [[nodiscard]] Result<std::optional<Shard *>> existingShard(const std::string &relPath);
    // Makes the child directory for `byte` below relPath durable in its
    // parent and hydrates a shard in it.
    [[nodiscard]] Result<Shard *> createChildShard(
        const std::string &relPath, uint8_t byte, const ShardGeometry &geometry);
    // The directory of the shard at relPath, reached from the root one name
    // at a time without following links.
    [[nodiscard]] Result<Directory> directoryOf(const std::string &relPath) const;
    [[nodiscard]] Result<bool> childExists(const std::string &relPath, uint8_t byte) const;

    std::string m_path;
    Access m_access;
    std::map<std::string, std::unique_ptr<Shard>> m_shards;
};

} // namespace shardscope
