#include "shard.h"

#include <algorithm>

namespace shardscope {

Result<void> ShardGeometry::validate(const std::string &path) const
{
    if (tableSlots == 0 || tableSlots > kMaxTableSlots) {
        return fail(ErrorKind::Invalid, path,
            "table slots must be between 1 and " + std::to_string(kMaxTableSlots)
                + " (the table file's size must fit a u32); got " + std::to_string(tableSlots));
    }
    if (packSize == 0)
        return fail(ErrorKind::Invalid, path, "pack size must be at least 1 byte");
    return {};
}

Shard::Shard(std::optional<Directory> dir, std::string path, Table table, Pack pack)
    : m_dir(std::move(dir)), m_path(std::move(path)), m_table(std::move(table)), m_pack(std::move(pack))
{ }

Shard::Shard(Shard &&) noexcept = default;
Shard &Shard::operator=(Shard &&) noexcept = default;
Shard::~Shard() = default;

namespace {

// A clearer error than ENOENT for the files a manifest names.
Error missingGenerationFile(const Directory &dir, const std::string &name, uint32_t gen, bool haveManifest)
{
    std::string why = haveManifest
        ? "the manifest names generation " + std::to_string(gen) + " but its file is missing"
        : "no MF, and this file of generation 0 is missing: not a shard directory, or one whose hydrate stopped "
          "part way";
    return Error {ErrorKind::NotFound, dir.filePath(name), std::nullopt, why};
}

template<typename T>
Result<T> openGenerationFile(
    const Directory &dir, uint32_t gen, ShardFile::Access access, bool haveManifest, const std::string &name)
{
    auto opened = T::open(dir, gen, access);
    if (!opened && opened.error().kind == ErrorKind::NotFound)
        return std::unexpected(missingGenerationFile(dir, name, gen, haveManifest));
    return opened;
}

Result<void> createIfMissing(const Directory &dir, const std::string &name, uint64_t size, bool &created)
{
    auto st = dir.status(name);
    if (!st)
        return std::unexpected(st.error());
    if (st->type != EntryType::Missing)
        return {};
    auto fd = dir.createFile(name, size);
    if (!fd)
        return std::unexpected(fd.error());
    if (auto r = syncFile(fd->get(), dir.filePath(name)); !r)
        return r;
    created = true;
    return {};
}

} // namespace

Result<Shard> Shard::open(const std::string &path, Access access, const ShardGeometry *create)
{
    auto dir = Directory::open(path);
    if (!dir)
        return std::unexpected(dir.error());
    return open(std::move(*dir), access, create);
}

Result<Shard> Shard::open(Directory directory, Access access, const ShardGeometry *create)
{
    const bool writable = access == Access::ReadWrite;
    const std::string path = directory.path();
    // Locked before anything is read, so that what is loaded below cannot be
    // changing under another writer.
    std::optional<ShardLock> lock;
    if (writable) {
        auto acquired = ShardLock::acquire(directory);
        if (!acquired)
            return std::unexpected(acquired.error());
        lock.emplace(std::move(*acquired));
    }
    auto dir = std::optional<Directory>(std::move(directory));
    auto manifest = ManifestFile::load(*dir);
    if (!manifest)
        return std::unexpected(manifest.error());
    const Manifest active = manifest->has_value() ? (*manifest)->active() : Manifest {};

    if (create) {
        if (auto ok = create->validate(path); !ok)
            return std::unexpected(ok.error());
        bool created = false;
        if (auto r
            = createIfMissing(*dir, tableFileName(active.gen), uint64_t(create->tableSlots) * kTableEntrySize, created);
            !r)
            return std::unexpected(r.error());
        if (auto r = createIfMissing(*dir, packFileName(active.gen), create->packSize, created); !r)
            return std::unexpected(r.error());
        if (created) {
            if (auto r = dir->sync(); !r)
                return std::unexpected(r.error());
        }
    }

    const auto fileAccess = writable ? ShardFile::Access::ReadWrite : ShardFile::Access::ReadOnly;
    auto table
        = openGenerationFile<Table>(*dir, active.gen, fileAccess, manifest->has_value(), tableFileName(active.gen));
    if (!table)
        return std::unexpected(table.error());
    auto pack = openGenerationFile<Pack>(*dir, active.gen, fileAccess, manifest->has_value(), packFileName(active.gen));
    if (!pack)
        return std::unexpected(pack.error());

    Shard shard(std::move(*dir), path, std::move(*table), std::move(*pack));
    shard.m_lock = std::move(lock);
    shard.m_manifest = *manifest;
    shard.m_gen = active.gen;
    shard.m_tableLen = active.tableLen;
    shard.m_writable = writable;
    if (auto r = shard.scanCommitted(); !r)
        return std::unexpected(r.error());
    if (writable)
        shard.ensureIndex();
    return shard;
}

Result<Shard> Shard::openReadOnly(const std::string &path)
{
    return open(path, Access::ReadOnly, nullptr);
}

Result<Shard> Shard::openForWriting(const std::string &path)
{
    return open(path, Access::ReadWrite, nullptr);
}

Result<Shard> Shard::hydrate(const std::string &path, ShardGeometry geometry)
{
    return open(path, Access::ReadWrite, &geometry);
}

Result<Shard> Shard::fromBytes(std::vector<uint8_t> manifest, std::vector<uint8_t> table, std::vector<uint8_t> pack)
{
    std::optional<ManifestCopies> copies;
    if (!manifest.empty()) {
        auto decoded = ManifestCopies::decode(manifest, kManifestFileName);
        if (!decoded)
            return std::unexpected(decoded.error());
        copies = *decoded;
    }
    const Manifest active = copies ? copies->active() : Manifest {};
    auto t = Table::fromFile(
        ShardFile::fromSource(std::make_unique<MemoryByteSource>(std::move(table), tableFileName(active.gen))));
    if (!t)
        return std::unexpected(t.error());
    auto p = Pack::fromFile(
        ShardFile::fromSource(std::make_unique<MemoryByteSource>(std::move(pack), packFileName(active.gen))));
    if (!p)
        return std::unexpected(p.error());
    // No directory stands behind these bytes, so the shard stays read-only.
    Shard shard(std::nullopt, "(memory)", std::move(*t), std::move(*p));
    shard.m_manifest = copies;
    shard.m_gen = active.gen;
    shard.m_tableLen = active.tableLen;
    if (auto r = shard.scanCommitted(); !r)
        return std::unexpected(r.error());
    return shard;
}

Manifest Shard::manifest() const
{
    return m_manifest ? m_manifest->active() : Manifest {};
}

uint32_t Shard::slotCount() const
{
    return std::min(m_tableLen, capacity());
}

Result<void> Shard::scanCommitted()
{
    const uint32_t n = slotCount();
    if (m_writable && m_tableLen > capacity()) {
        return fail(ErrorKind::Corrupt, m_dir->filePath(kManifestFileName),
            "table_len " + std::to_string(m_tableLen) + " exceeds the table's " + std::to_string(capacity())
                + " slots; repair the shard before writing to it",
            uint64_t(m_manifest ? m_manifest->activeIndex() : 0) * Manifest::kEncodedSize + 12);
    }
    uint64_t next = 0;
    for (uint32_t i = 0; i < n; ++i) {
        const Entry e = m_table.slot(i);
        // Tombstones keep no pack bytes: counting their 0xFFFFFFFF offset is
        // the reference writer's wrap-around defect.
        if (e.isTombstone())
            continue;
        if (m_writable && !m_pack.file().bytes().contains(e.offset, e.len)) {
            return fail(ErrorKind::Corrupt, m_table.file().path(),
                "slot " + std::to_string(i) + " points at pack bytes [" + std::to_string(e.offset) + ", "
                    + std::to_string(e.end()) + ") beyond the pack's " + std::to_string(packSize())
                    + " bytes; repair the shard before writing to it",
                uint64_t(i) * kTableEntrySize + 24);
        }
        next = std::max(next, e.end());
    }
    m_nextOffset = next;
    m_pendingSlotsStart = m_tableLen;
    m_pendingPackStart = m_nextOffset;
    return {};
}

void Shard::ensureIndex() const
{
    if (m_indexBuilt)
        return;
    const uint32_t n = slotCount();
    m_index.clear();
    m_index.reserve(n);
    m_indexHasDuplicates = false;
    for (uint32_t i = 0; i < n; ++i) {
        const Entry e = entry(i);
        if (e.isTombstone() || e.key.isZero())
            continue;
        if (!m_index.insert(e.key, i))
            m_indexHasDuplicates = true;
    }
    m_indexBuilt = true;
}

Result<std::span<const uint8_t>> Shard::data(const Entry &entry) const
{
    if (entry.isTombstone())
        return fail(ErrorKind::Invalid, m_pack.file().path(), "a tombstone has no data");
    if (!m_pendingPack.empty() && entry.offset >= m_pendingPackStart
        && entry.end() <= m_pendingPackStart + m_pendingPack.size())
        return std::span<const uint8_t>(m_pendingPack).subspan(size_t(entry.offset - m_pendingPackStart), entry.len);
    return m_pack.read(entry.offset, entry.len);
}

std::optional<uint32_t> Shard::find(const Key &key) const
{
    if (key.isZero())
        return std::nullopt;
    ensureIndex();
    return m_index.find(key);
}

Result<std::optional<std::span<const uint8_t>>> Shard::get(const Key &key) const
{
    const auto slot = find(key);
    if (!slot)
        return std::optional<std::span<const uint8_t>>();
    auto bytes = data(entry(*slot));
    if (!bytes)
        return std::unexpected(bytes.error());
    return std::optional<std::span<const uint8_t>>(*bytes);
}

bool Shard::hasSpace(uint64_t dataLen) const
{
    if (!m_writable || m_tableLen >= capacity())
        return false;
    // Offsets and lengths are u32 and 0xFFFFFFFF marks a tombstone, so even a
    // (crafted) pack larger than 4 GiB takes entries only below that.
    const uint64_t limit = std::min<uint64_t>(packSize(), kTombstoneOffset);
    return m_nextOffset < kTombstoneOffset && dataLen <= limit && m_nextOffset <= limit - dataLen;
}

Result<bool> Shard::append(const Key &key, std::span<const uint8_t> data)
{
    if (auto ok = refuseIfFailed(); !ok)
        return std::unexpected(ok.error());
    if (key.isZero())
        return fail(ErrorKind::Invalid, m_path, "the all-zero key is not a valid key");
    if (exists(key))
        return false;
    if (!hasSpace(data.size())) {
        const bool tableFull = m_tableLen >= capacity();
        return fail(ErrorKind::Full, tableFull ? m_table.file().path() : m_pack.file().path(),
            tableFull ? "shard is full: all " + std::to_string(capacity()) + " table slots are in use"
                      : "shard is full: " + std::to_string(data.size()) + " bytes do not fit in the "
                    + std::to_string(packSize() > m_nextOffset ? packSize() - m_nextOffset : 0)
                    + " bytes left in the pack",
            tableFull ? std::optional<uint64_t>(uint64_t(m_tableLen) * kTableEntrySize)
                      : std::optional<uint64_t>(m_nextOffset));
    }
    // Batches of about a page of slots and a megabyte of data: each batch is
    // one pwrite to the pack and one to the table.
    constexpr size_t kPendingPackLimit = size_t(1) << 20;
    if (m_pendingSlots.size() >= kEntriesPerPage || m_pendingPack.size() + data.size() > kPendingPackLimit) {
        if (auto r = writePending(); !r)
            return std::unexpected(r.error());
    }
    const Entry entry {key, uint32_t(m_nextOffset), uint32_t(data.size())};
    if (data.size() > kPendingPackLimit) {
        // Too big to batch: straight to the pack, past the committed end.
        if (auto r = m_pack.write(entry.offset, data); !r) {
            m_failure = r.error();
            return std::unexpected(r.error());
        }
        m_pendingPackStart = entry.end();
    } else {
        m_pendingPack.insert(m_pendingPack.end(), data.begin(), data.end());
    }
    m_pendingSlots.push_back(entry);
    m_index.insert(key, m_tableLen);
    ++m_tableLen;
    m_nextOffset = entry.end();
    m_dirty = true;
    return true;
}

Result<void> Shard::refuseIfFailed() const
{
    if (!m_writable)
        return fail(ErrorKind::Invalid, m_path, "shard is open read-only");
    if (m_failure) {
        Error e = *m_failure;
        e.message = "an earlier write failed (" + e.message + "); reopen the shard to continue";
        return std::unexpected(e);
    }
    return {};
}

Result<void> Shard::writePending()
{
    if (auto r = m_pack.write(m_pendingPackStart, m_pendingPack); !r) {
        m_failure = r.error();
        return r;
    }
    std::vector<uint8_t> slots(m_pendingSlots.size() * kTableEntrySize);
    for (size_t i = 0; i < m_pendingSlots.size(); ++i)
        m_pendingSlots[i].encodeTo(slots.data() + i * kTableEntrySize);
    if (auto r = m_table.file().write(uint64_t(m_pendingSlotsStart) * kTableEntrySize, slots); !r) {
        m_failure = r.error();
        return r;
    }
    m_pendingSlotsStart = m_tableLen;
    m_pendingSlots.clear();
    m_pendingPackStart = m_nextOffset;
    m_pendingPack.clear();
    return {};
}

Result<bool> Shard::remove(const Key &key)
{
    if (auto ok = refuseIfFailed(); !ok)
        return std::unexpected(ok.error());
    const auto slot = find(key);
    if (!slot)
        return false;
    if (*slot >= m_pendingSlotsStart) {
        m_pendingSlots[*slot - m_pendingSlotsStart] = Entry::tombstone();
    } else if (auto r = m_table.writeSlot(*slot, Entry::tombstone()); !r) {
        m_failure = r.error();
        return std::unexpected(r.error());
    }
    m_index.erase(key);
    if (m_indexHasDuplicates) {
        // A damaged shard may hold the key again further on; readers then see that slot.
        for (uint32_t i = *slot + 1; i < slotCount(); ++i) {
            const Entry e = entry(i);
            if (!e.isTombstone() && e.key == key) {
                m_index.insert(key, i);
                break;
            }
        }
    }
    m_dirty = true;
    return true;
}

Result<void> Shard::flush()
{
    if (auto ok = refuseIfFailed(); !ok)
        return ok;
    if (auto r = writePending(); !r)
        return r;
    // Data and slots must be durable before the manifest that commits them;
    // a failed sync may have dropped pages, so it ends the shard's writing.
    if (auto r = m_pack.sync(); !r) {
        m_failure = r.error();
        return r;
    }
    if (auto r = m_table.sync(); !r) {
        m_failure = r.error();
        return r;
    }
    auto saved = ManifestFile::save(*m_dir, m_manifest, m_gen, m_tableLen);
    if (!saved) {
        m_failure = saved.error();
        return std::unexpected(saved.error());
    }
    m_manifest = *saved;
    m_dirty = false;
    return {};
}

Result<void> Shard::removeGeneration(uint32_t gen)
{
    if (!m_writable)
        return fail(ErrorKind::Invalid, m_path, "shard is open read-only");
    if (gen == m_gen)
        return fail(
            ErrorKind::Invalid, m_dir->filePath(tableFileName(gen)), "refusing to remove the current generation");
    if (auto r = m_dir->remove(tableFileName(gen)); !r)
        return r;
    if (auto r = m_dir->remove(packFileName(gen)); !r)
        return r;
    return m_dir->sync();
}

} // namespace shardscope
