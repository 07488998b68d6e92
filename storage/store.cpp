#include "store.h"

#include <algorithm>
#include <cstdio>

namespace shardscope {

std::string childShardPath(const std::string &relPath, uint8_t byte)
{
    char name[3];
    std::snprintf(name, sizeof name, "%02x", byte);
    return relPath.empty() ? std::string(name) : relPath + "/" + name;
}

ShardGeometry childGeometry(const Shard &parent)
{
    return ShardGeometry {parent.capacity(), uint32_t(std::min<uint64_t>(parent.packSize(), UINT32_MAX))};
}

namespace {
std::string childPath(const std::string &relPath, uint8_t byte)
{
    return childShardPath(relPath, byte);
}

// A child directory without MF has committed nothing (FORMAT.md): whatever
// generation-0 files a hydrate that stopped left there, it holds no blob, and
// writing to it hydrates it again, creating only the files that are missing.
// Judged by the table alone, a hydrate killed between its table and its pack
// left a child that could be neither read nor written.
Result<bool> hasManifest(const Directory &dir)
{
    auto st = dir.status(kManifestFileName);
    if (!st)
        return std::unexpected(st.error());
    return st->type != EntryType::Missing;
}

} // namespace

std::optional<ContentId> contentIdFromHex(std::string_view hex)
{
    ContentId cid {};
    if (!fromHex(hex, cid))
        return std::nullopt;
    return cid;
}

Key keyAtDepth(const ContentId &cid, int depth)
{
    return Key::fromBytes(cid.data() + depth);
}

bool isChildShardName(std::string_view name)
{
    auto lowerHex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    return name.size() == 2 && lowerHex(name[0]) && lowerHex(name[1]);
}

Store::Store(std::string path, Access access) : m_path(std::move(path)), m_access(access)
{ }

Result<Store> Store::open(const std::string &path, Access access)
{
    Store store(path, access);
    // The root shard must open; children are opened when a lookup reaches them.
    if (auto root = store.shard(""); !root)
        return std::unexpected(root.error());
    return store;
}

Result<Directory> Store::directoryOf(const std::string &relPath) const
{
    auto dir = Directory::open(m_path);
    size_t start = 0;
    while (dir && start < relPath.size()) {
        const size_t slash = std::min(relPath.find('/', start), relPath.size());
        dir = dir->openChild(std::string_view(relPath).substr(start, slash - start));
        start = slash + 1;
    }
    return dir;
}

Result<std::vector<std::string>> Store::children(const std::string &relPath) const
{
    auto dir = directoryOf(relPath);
    if (!dir)
        return std::unexpected(dir.error());
    auto names = dir->list();
    if (!names)
        return std::unexpected(names.error());
    std::vector<std::string> out;
    for (const auto &n : *names) {
        if (!isChildShardName(n))
            continue;
        auto st = dir->status(n);
        if (st && st->type == EntryType::Directory)
            out.push_back(n);
    }
    return out;
}

Result<bool> Store::childExists(const std::string &relPath, uint8_t byte) const
{
    auto dir = directoryOf(relPath);
    if (!dir)
        return std::unexpected(dir.error());
    char name[3];
    std::snprintf(name, sizeof name, "%02x", byte);
    auto st = dir->status(name);
    if (!st)
        return std::unexpected(st.error());
    if (st->type == EntryType::Symlink)
        return fail(
            ErrorKind::Unsafe, dir->filePath(name), "is a symlink; child shards are never followed through links");
    return st->type == EntryType::Directory;
}

Result<Shard *> Store::shard(const std::string &relPath)
{
    if (auto it = m_shards.find(relPath); it != m_shards.end())
        return it->second.get();
    auto dir = directoryOf(relPath);
    if (!dir)
        return std::unexpected(dir.error());
    auto opened = Shard::open(
        std::move(*dir), m_access == Access::ReadWrite ? Shard::Access::ReadWrite : Shard::Access::ReadOnly);
    if (!opened)
        return std::unexpected(opened.error());
    auto &slot = m_shards[relPath];
    slot = std::make_unique<Shard>(std::move(*opened));
    return slot.get();
}

Result<Shard> Store::openShardReadOnly(const std::string &relPath) const
{
    auto dir = directoryOf(relPath);
    if (!dir)
        return std::unexpected(dir.error());
    return Shard::open(std::move(*dir), Shard::Access::ReadOnly);
}

Result<std::optional<Store::Location>> Store::locate(const ContentId &cid)
{
    std::string rel;
    for (int depth = 0; depth <= kMaxDepth; ++depth) {
        auto s = shard(rel);
        if (!s && depth > 0) {
            // A child that has committed nothing holds no blob (the
            // reference would hydrate it on the way; a reader does not write).
            auto empty = committedNothing(rel, s.error());
            if (!empty)
                return std::unexpected(empty.error());
            if (*empty)
                break;
        }
        if (!s)
            return std::unexpected(s.error());
        if (auto slot = (*s)->find(keyAtDepth(cid, depth)))
            return std::optional<Location>(Location {rel, depth, *slot});
        if (depth == kMaxDepth)
            break;
        auto child = childExists(rel, cid[size_t(depth)]);
        if (!child)
            return std::unexpected(child.error());
        if (!*child)
            break;
        rel = childPath(rel, cid[size_t(depth)]);
    }
    return std::optional<Location>();
}

Result<std::optional<std::vector<uint8_t>>> Store::get(const ContentId &cid)
{
    auto where = locate(cid);
    if (!where)
        return std::unexpected(where.error());
    if (!*where)
        return std::optional<std::vector<uint8_t>>();
    Shard *s = m_shards.at((*where)->relPath).get();
    auto bytes = s->data(s->entry((*where)->slot));
    if (!bytes)
        return std::unexpected(bytes.error());
    return std::optional<std::vector<uint8_t>>(std::vector<uint8_t>(bytes->begin(), bytes->end()));
}

Result<Shard *> Store::writableShard(const std::string &relPath, const ShardGeometry &geometry)
{
    if (auto it = m_shards.find(relPath); it != m_shards.end())
        return it->second.get();
    auto dir = directoryOf(relPath);
    if (!dir)
        return std::unexpected(dir.error());
    auto has = hasManifest(*dir);
    if (!has)
        return std::unexpected(has.error());
    auto opened = Shard::open(std::move(*dir), Shard::Access::ReadWrite, *has ? nullptr : &geometry);
    if (!opened)
        return std::unexpected(opened.error());
    auto &slot = m_shards[relPath];
    slot = std::make_unique<Shard>(std::move(*opened));
    return slot.get();
}

Result<std::optional<Shard *>> Store::existingShard(const std::string &relPath)
{
    if (auto it = m_shards.find(relPath); it != m_shards.end())
        return std::optional<Shard *>(it->second.get());
    auto s = shard(relPath);
    if (!s) {
        auto empty = committedNothing(relPath, s.error());
        if (!empty)
            return std::unexpected(empty.error());
        if (*empty)
            return std::optional<Shard *>();
    }
    if (!s)
        return std::unexpected(s.error());
    return std::optional<Shard *>(*s);
}

Result<bool> Store::committedNothing(const std::string &relPath, const Error &openError) const
{
    if (openError.kind != ErrorKind::NotFound)
        return false;
    auto dir = directoryOf(relPath);
    if (!dir)
        return std::unexpected(dir.error());
    auto has = hasManifest(*dir);
    if (!has)
        return std::unexpected(has.error());
    return !*has;
}

Result<Shard *> Store::createChildShard(const std::string &relPath, uint8_t byte, const ShardGeometry &geometry)
{
    auto parentDir = directoryOf(relPath);
    if (!parentDir)
        return std::unexpected(parentDir.error());
    const std::string childRel = childPath(relPath, byte);
    const std::string name = childRel.substr(childRel.size() - 2);
    auto made = parentDir->createChild(name);
    if (!made)
        return std::unexpected(made.error());
    if (auto r = parentDir->sync(); !r)
        return std::unexpected(r.error());
    auto hydrated = Shard::open(std::move(*made), Shard::Access::ReadWrite, &geometry);
    if (!hydrated)
        return std::unexpected(hydrated.error());
    auto &slot = m_shards[childRel];
    slot = std::make_unique<Shard>(std::move(*hydrated));
    return slot.get();
}

Result<bool> Store::put(const ContentId &cid, std::span<const uint8_t> data)
{
    if (m_access != Access::ReadWrite)
        return fail(ErrorKind::Invalid, m_path, "store is open read-only");
    std::string rel;
    std::optional<ShardGeometry> parentGeometry;
    for (int depth = 0; depth <= kMaxDepth; ++depth) {
        auto s = parentGeometry ? writableShard(rel, *parentGeometry) : shard(rel);
        if (!s)
            return std::unexpected(s.error());
        Shard &here = **s;
        const Key key = keyAtDepth(cid, depth);
        if (here.exists(key))
            return false;
        if (depth == kMaxDepth) {
            if (!here.hasSpace(data.size()))
                return fail(
                    ErrorKind::Full, here.path(), "store is full: the deepest shard for this content ID has no room");
        } else {
            const uint8_t byte = cid[size_t(depth)];
            auto child = childExists(rel, byte);
            if (!child)
                return std::unexpected(child.error());
            if (*child) {
                parentGeometry = childGeometry(here);
                rel = childPath(rel, byte);
                continue;
            }
            if (!here.hasSpace(data.size())) {
                // Children are sized like this shard: a blob larger than its
                // pack fits none of them, and must not leave empty ones behind.
                if (data.size() > std::min<uint64_t>(here.packSize(), kTombstoneOffset)) {
                    return fail(ErrorKind::Full, here.path(),
                        "blob of " + std::to_string(data.size()) + " bytes is larger than a shard's pack ("
                            + std::to_string(here.packSize()) + " bytes)");
                }
                // A new child shard, sized like its parent, as the reference does.
                auto made = createChildShard(rel, byte, childGeometry(here));
                if (!made)
                    return std::unexpected(made.error());
                parentGeometry = childGeometry(here);
                rel = childPath(rel, byte);
                continue;
            }
        }
        auto appended = here.append(key, data);
        if (!appended)
            return std::unexpected(appended.error());
        if (auto r = here.flush(); !r)
            return std::unexpected(r.error());
        return *appended;
    }
    return false;
}

Result<bool> Store::remove(const ContentId &cid)
{
    if (m_access != Access::ReadWrite)
        return fail(ErrorKind::Invalid, m_path, "store is open read-only");
    auto where = locate(cid);
    if (!where)
        return std::unexpected(where.error());
    if (!*where)
        return false;
    Shard &s = *m_shards.at((*where)->relPath);
    auto removed = s.remove(keyAtDepth(cid, (*where)->depth));
    if (!removed)
        return std::unexpected(removed.error());
    if (auto r = s.flush(); !r)
        return std::unexpected(r.error());
    return *removed;
}

} // namespace shardscope
