// EditSession and StoreEditSession: staging, each refusal with the shard
// unchanged, undo/redo through the QUndoStack with its texts, revert, and
// changes() as storage's commitChanges takes it (one commit run end to end).
#include "../storage/test_support.h"
#include "edit_session.h"
#include "shard.h"
#include "shard_changes.h"
#include "store.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using namespace shardscope;

namespace {

// Keys whose hex starts with the given two bytes: word 0's low bytes come first.
Key key(uint16_t prefix, uint64_t n = 1)
{
    const uint64_t w0 = uint64_t(prefix >> 8) | uint64_t(prefix & 0xff) << 8 | n << 16;
    return Key({w0, n, 0x77});
}

std::vector<uint8_t> bytes(const QByteArray &b)
{
    return {b.begin(), b.end()};
}

// A 16-slot, 4 KiB shard: keys 0x1111, 0x2222, 0x3333 (10, 20, 30 bytes),
// then 0x2222 deleted: slots 0 and 2 live, slot 1 a tombstone.
QString makeShard(const QTemporaryDir &tmp)
{
    const QString path = tmp.path() + QStringLiteral("/shard");
    QDir().mkpath(path);
    auto shard = Shard::hydrate(path.toStdString(), ShardGeometry {16, 4096});
    if (!shard)
        return {};
    const std::pair<uint16_t, int> entries[] = {{0x1111, 10}, {0x2222, 20}, {0x3333, 30}};
    for (const auto &[k, len] : entries) {
        if (!shard->append(key(k), bytes(QByteArray(len, char('a' + len / 10)))).value_or(false))
            return {};
    }
    if (!shard->flush() || !shard->remove(key(0x2222)).value_or(false) || !shard->flush())
        return {};
    return path;
}

std::optional<ContentId> cidOf(const QString &hex)
{
    return contentIdFromHex(hex.toStdString());
}

} // namespace

class TestEditSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void stageAppend();
    void undoTextSizes_data();
    void undoTextSizes();
    void appendRefusals_data();
    void appendRefusals();
    void tableFull();
    void stageDeleteMany();
    void deleteRefusals_data();
    void deleteRefusals();
    void duplicateKeySlot();
    void replacement();
    void undoRedo();
    void revertIsUndoable();
    void unstageAppendKeepsOffsets();
    void setShardDropsEverything();
    void changesCommit();
    void storeSession();
    void storeSessionStagesUnwrittenAgain();
    void placementOfAPut();

private:
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_path;
    std::optional<Shard> m_shard;
};

void TestEditSession::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_path = makeShard(*m_tmp);
    QVERIFY(!m_path.isEmpty());
    auto shard = Shard::openReadOnly(m_path.toStdString());
    QVERIFY(shard);
    m_shard.emplace(std::move(*shard));
    QCOMPARE(m_shard->tableLen(), 3u);
    QCOMPARE(m_shard->nextOffset(), 60u);
}

void TestEditSession::cleanup()
{
    m_shard.reset();
    m_tmp.reset();
}

void TestEditSession::stageAppend()
{
    EditSession session;
    session.setShard(&*m_shard);
    QSignalSpy changed(&session, &EditSession::changesChanged);
    QSignalSpy inserted(&session, &EditSession::appendsInserted);
    QCOMPARE(session.freePackBytes(), 4096u - 60u);
    QCOMPARE(session.freeTableSlots(), 13u);
    QVERIFY(!session.hasChanges());

    QString why;
    QVERIFY2(session.stageAppend(key(0x4444), QByteArray("hello"), &why), qPrintable(why));
    QVERIFY(session.stageAppend(key(0x5555), QByteArray(100, 'x')));
    QVERIFY(session.hasChanges());
    QCOMPARE(session.pendingAppends().size(), 2);
    QCOMPARE(session.pendingAppends()[1].data, QByteArray(100, 'x'));
    QCOMPARE(session.pendingSlot(0), 3u);
    QCOMPARE(session.pendingSlot(1), 4u);
    QCOMPARE(session.pendingOffset(0), 60u);
    QCOMPARE(session.pendingOffset(1), 65u);
    QCOMPARE(session.stagedBytes(), 105u);
    QCOMPARE(session.freePackBytes(), 4096u - 60u - 105u);
    QCOMPARE(session.freeTableSlots(), 11u);
    QCOMPARE(changed.count(), 2);
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(inserted.last().at(0).toInt(), 1);
    QCOMPARE(session.undoStack()->count(), 2);
    QCOMPARE(session.undoStack()->undoText(), QStringLiteral("Append 100 bytes as 5555\u2026"));
    // Nothing was written: the shard is as it was.
    QCOMPARE(m_shard->tableLen(), 3u);
    QVERIFY(!m_shard->exists(key(0x4444)));
}

void TestEditSession::undoTextSizes_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<QString>("text");
    QTest::newRow("one byte") << 1 << QStringLiteral("Append 1 byte as 3fa2\u2026");
    QTest::newRow("bytes") << 1000 << QStringLiteral("Append 1000 bytes as 3fa2\u2026");
    QTest::newRow("KiB") << 1946 << QStringLiteral("Append 1.9 KiB as 3fa2\u2026");
}

void TestEditSession::undoTextSizes()
{
    QFETCH(int, size);
    QFETCH(QString, text);
    EditSession session;
    session.setShard(&*m_shard);
    QVERIFY(session.stageAppend(key(0x3fa2), QByteArray(size, 'q')));
    QCOMPARE(session.undoStack()->undoText(), text);
}

void TestEditSession::appendRefusals_data()
{
    QTest::addColumn<bool>("withShard");
    QTest::addColumn<Key>("appendKey");
    QTest::addColumn<int>("size");
    QTest::addColumn<QString>("reason");
    QTest::newRow("no shard") << false << key(0x4444) << 1 << QStringLiteral("No shard");
    QTest::newRow("zero key") << true << Key() << 1 << QStringLiteral("all-zero key");
    QTest::newRow("live key") << true << key(0x1111) << 1 << QStringLiteral("Slot 0 already holds");
    QTest::newRow("already staged") << true << key(0x6666) << 1 << QStringLiteral("already staged");
    QTest::newRow("pack too small") << true << key(0x4444) << (4096 - 60 - 7 + 1)
                                    << QStringLiteral("3.9 KiB do not fit: 3.9 KiB of the pack are free");
}

void TestEditSession::appendRefusals()
{
    QFETCH(bool, withShard);
    QFETCH(Key, appendKey);
    QFETCH(int, size);
    QFETCH(QString, reason);
    EditSession session;
    if (withShard)
        session.setShard(&*m_shard);
    // Something staged already: the refusal must leave it, and the stack, alone.
    if (withShard)
        QVERIFY(session.stageAppend(key(0x6666), QByteArray(7, 's')));
    const auto before = session.pendingAppends().size();
    QSignalSpy changed(&session, &EditSession::changesChanged);
    QString why;
    QVERIFY(!session.stageAppend(appendKey, QByteArray(size, 'z'), &why));
    QVERIFY2(why.contains(reason), qPrintable(why));
    QCOMPARE(session.appendProblem(appendKey, quint64(size)), why);
    QCOMPARE(session.pendingAppends().size(), before);
    QCOMPARE(session.undoStack()->count(), int(before));
    QCOMPARE(changed.count(), 0);
    // One byte less does fit.
    if (QTest::currentDataTag() == QByteArray("pack too small"))
        QVERIFY(session.stageAppend(appendKey, QByteArray(size - 1, 'z'), &why));
}

void TestEditSession::tableFull()
{
    EditSession session;
    session.setShard(&*m_shard);
    for (uint64_t i = 0; i < 13; ++i)
        QVERIFY(session.stageAppend(key(0x7000, i + 1), QByteArray(1, 'x')));
    QCOMPARE(session.freeTableSlots(), 0u);
    QString why;
    QVERIFY(!session.stageAppend(key(0x7000, 99), QByteArray(), &why));
    QVERIFY2(why.contains(QStringLiteral("table is full")), qPrintable(why));
    // The last staged append dropped: room again.
    QVERIFY(session.undoStack()->canUndo());
    session.undoStack()->undo();
    QCOMPARE(session.freeTableSlots(), 1u);
    QVERIFY(session.stageAppend(key(0x7000, 99), QByteArray()));
}

void TestEditSession::stageDeleteMany()
{
    // A shard with more live slots: append two more to the copy and reopen.
    {
        auto w = Shard::openForWriting(m_path.toStdString());
        QVERIFY(w);
        QVERIFY(w->append(key(0x8888), bytes("eight")).value_or(false));
        QVERIFY(w->flush());
    }
    auto shard = Shard::openReadOnly(m_path.toStdString());
    QVERIFY(shard);
    EditSession session;
    session.setShard(&*shard);
    QSignalSpy marks(&session, &EditSession::deletionMarksChanged);
    QString why;
    QVERIFY2(session.stageDelete({3, 0, 2, 0}, &why), qPrintable(why));
    QCOMPARE(session.undoStack()->count(), 1);
    QCOMPARE(session.undoStack()->undoText(), QStringLiteral("Delete 3 entries"));
    QCOMPARE(session.markedForDeletion(), (QList<uint32_t> {0, 2, 3}));
    QVERIFY(session.isMarkedForDeletion(2));
    QVERIFY(!session.isMarkedForDeletion(1));
    QCOMPARE(marks.count(), 1);
    // Already marked ones are skipped; all of them marked is a refusal.
    QVERIFY(!session.stageDelete({0, 2}, &why));
    QVERIFY2(why.contains(QStringLiteral("already marked")), qPrintable(why));
    QCOMPARE(session.undoStack()->count(), 1);
    // Deletes leave the free space alone: pack bytes stay until compaction.
    QCOMPARE(session.freeTableSlots(), 16u - 4u);
    // One slot: its own text.
    session.undoStack()->undo();
    QVERIFY(session.stageDelete({2}));
    QCOMPARE(session.undoStack()->undoText(), QStringLiteral("Delete slot 2"));
    // Changes name keys in slot order.
    QVERIFY(session.stageDelete({0}));
    const ShardChanges c = session.changes();
    QCOMPARE(c.deletes.size(), size_t(2));
    QVERIFY(c.deletes[0] == key(0x1111));
    QVERIFY(c.deletes[1] == key(0x3333));
    QVERIFY(c.appends.empty());
    QVERIFY(session.validate().isEmpty());
    // Unmark one.
    QVERIFY(session.unstageDelete({0, 1}));
    QCOMPARE(session.markedForDeletion(), (QList<uint32_t> {2}));
    QVERIFY(!session.unstageDelete({1}));
}

void TestEditSession::deleteRefusals_data()
{
    QTest::addColumn<QList<uint32_t>>("slotList");
    QTest::addColumn<QString>("reason");
    QTest::newRow("tombstone") << QList<uint32_t> {0, 1} << QStringLiteral("Slot 1 is a tombstone");
    QTest::newRow("past table_len") << QList<uint32_t> {3} << QStringLiteral("not a committed slot");
    QTest::newRow("past capacity") << QList<uint32_t> {2, 100000} << QStringLiteral("Slot 100000 is not a committed");
    QTest::newRow("nothing selected") << QList<uint32_t> {} << QStringLiteral("No slot");
}

void TestEditSession::deleteRefusals()
{
    QFETCH(QList<uint32_t>, slotList);
    QFETCH(QString, reason);
    EditSession session;
    session.setShard(&*m_shard);
    QString why;
    QVERIFY(!session.stageDelete(slotList, &why));
    QVERIFY2(why.contains(reason), qPrintable(why));
    // Refused as a whole: not even the good slot in the list is marked.
    QVERIFY(session.markedForDeletion().isEmpty());
    QVERIFY(!session.hasChanges());
    QCOMPARE(session.undoStack()->count(), 0);
}

void TestEditSession::duplicateKeySlot()
{
    // Slot 3 repeats slot 0's key: a delete by key would hit slot 0.
    std::vector<uint8_t> manifest(64, 0), table(16 * 32, 0), pack(64, 'p');
    manifest[12] = 4; // table_len, copy A (nonce 0)
    auto put = [&table](uint32_t slot, const Key &k, uint32_t off, uint32_t len) {
        Entry {k, off, len}.encodeTo(table.data() + slot * 32);
    };
    put(0, key(0x1111), 0, 4);
    put(1, key(0x2222), 4, 4);
    put(2, key(0x3333), 8, 4);
    put(3, key(0x1111), 12, 4);
    auto shard = Shard::fromBytes(manifest, table, pack);
    QVERIFY(shard);
    EditSession session;
    session.setShard(&*shard);
    QString why;
    QVERIFY(!session.stageDelete({3}, &why));
    QVERIFY2(why.contains(QStringLiteral("repeats the key of slot 0")), qPrintable(why));
    QVERIFY(session.stageDelete({0}));
}

void TestEditSession::replacement()
{
    EditSession session;
    session.setShard(&*m_shard);
    QString why;
    // A live key can be appended again once its slot is marked for deletion.
    QVERIFY(!session.stageAppend(key(0x3333), QByteArray("new"), &why));
    QVERIFY(session.stageDelete({2}));
    QVERIFY2(session.stageAppend(key(0x3333), QByteArray("new"), &why), qPrintable(why));
    const ShardChanges c = session.changes();
    QCOMPARE(c.deletes.size(), size_t(1));
    QCOMPARE(c.appends.size(), size_t(1));
    QVERIFY(c.appends[0].key == key(0x3333));
    QVERIFY2(session.validate().isEmpty(), qPrintable(session.validate()));
    // Keeping the old entry while the new one is staged would hold the key twice.
    QVERIFY(!session.unstageDelete({2}));
    QVERIFY(session.isMarkedForDeletion(2));
}

void TestEditSession::undoRedo()
{
    EditSession session;
    session.setShard(&*m_shard);
    QSignalSpy removed(&session, &EditSession::appendsRemoved);
    QVERIFY(session.stageAppend(key(0x4444), QByteArray("four")));
    QVERIFY(session.stageDelete({0, 2}));
    QUndoStack *stack = session.undoStack();
    QCOMPARE(stack->undoText(), QStringLiteral("Delete 2 entries"));
    stack->undo();
    QVERIFY(!session.isMarkedForDeletion(0));
    QCOMPARE(session.pendingAppends().size(), 1);
    QCOMPARE(stack->undoText(), QStringLiteral("Append 4 bytes as 4444\u2026"));
    QCOMPARE(stack->redoText(), QStringLiteral("Delete 2 entries"));
    stack->undo();
    QVERIFY(!session.hasChanges());
    QCOMPARE(removed.count(), 1);
    QCOMPARE(session.freePackBytes(), 4096u - 60u);
    stack->redo();
    stack->redo();
    QCOMPARE(session.pendingAppends().size(), 1);
    QCOMPARE(session.markedForDeletion(), (QList<uint32_t> {0, 2}));
    QVERIFY(!stack->canRedo());
}

void TestEditSession::revertIsUndoable()
{
    EditSession session;
    session.setShard(&*m_shard);
    QVERIFY(session.stageAppend(key(0x4444), QByteArray("four")));
    QVERIFY(session.stageAppend(key(0x5555), QByteArray("five!")));
    QVERIFY(session.stageDelete({0}));
    QSignalSpy removed(&session, &EditSession::appendsRemoved);
    QSignalSpy marks(&session, &EditSession::deletionMarksChanged);
    session.revert();
    QVERIFY(!session.hasChanges());
    QVERIFY(session.changes().empty());
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.last().at(0).toInt(), 0);
    QCOMPARE(removed.last().at(1).toInt(), 1);
    QCOMPARE(marks.count(), 1);
    QCOMPARE(session.freePackBytes(), 4096u - 60u);
    QCOMPARE(session.undoStack()->undoText(), QStringLiteral("Revert changes"));
    session.undoStack()->undo();
    QCOMPARE(session.pendingAppends().size(), 2);
    QVERIFY(session.isMarkedForDeletion(0));
    QCOMPARE(session.pendingOffset(1), 64u);
    // Nothing to revert: no step is pushed.
    session.undoStack()->redo();
    const int steps = session.undoStack()->count();
    session.revert();
    QCOMPARE(session.undoStack()->count(), steps);
}

void TestEditSession::unstageAppendKeepsOffsets()
{
    EditSession session;
    session.setShard(&*m_shard);
    QVERIFY(session.stageAppend(key(0x4444), QByteArray(10, 'a')));
    QVERIFY(session.stageAppend(key(0x5555), QByteArray(20, 'b')));
    QVERIFY(session.stageAppend(key(0x6666), QByteArray(30, 'c')));
    QVERIFY(!session.unstageAppend(3));
    QVERIFY(session.unstageAppend(1));
    QCOMPARE(session.pendingAppends().size(), 2);
    QVERIFY(session.pendingAppends()[1].key == key(0x6666));
    QCOMPARE(session.pendingOffset(1), 60u + 10u);
    QCOMPARE(session.pendingSlot(1), 4u);
    QCOMPARE(session.stagedBytes(), 40u);
    QCOMPARE(session.undoStack()->undoText(), QStringLiteral("Drop staged append of 5555\u2026"));
    session.undoStack()->undo();
    QCOMPARE(session.pendingOffset(2), 60u + 30u);
    QVERIFY(session.pendingAppends()[1].key == key(0x5555));
}

void TestEditSession::setShardDropsEverything()
{
    EditSession session;
    session.setShard(&*m_shard);
    QVERIFY(session.stageAppend(key(0x4444), QByteArray("x")));
    QSignalSpy reset(&session, &EditSession::sessionReset);
    session.setShard(&*m_shard);
    QCOMPARE(reset.count(), 1);
    QVERIFY(!session.hasChanges());
    QCOMPARE(session.undoStack()->count(), 0);
    session.setShard(nullptr);
    QCOMPARE(session.freePackBytes(), 0u);
    QVERIFY(!session.validate().isEmpty());
}

void TestEditSession::changesCommit()
{
    m_shard.reset(); // the writer takes the lock
    {
        auto shard = Shard::openForWriting(m_path.toStdString());
        QVERIFY(shard);
        EditSession session;
        session.setShard(&*shard);
        QVERIFY(session.stageAppend(key(0x4444), QByteArray("four")));
        QVERIFY(session.stageDelete({0}));
        QVERIFY(session.stageAppend(key(0x1111), QByteArray("one again")));
        const ShardChanges c = session.changes();
        QCOMPARE(c.appends.size(), size_t(2));
        QCOMPARE(c.appends[1].data, bytes("one again"));
        auto result = commitChanges(*shard, c);
        QVERIFY2(result, result ? "" : result.error().describe().c_str());
        QCOMPARE(result->appended, 2u);
        QCOMPARE(result->deleted, 1u);
        session.setShard(&*shard);
        QVERIFY(!session.hasChanges());
        session.setShard(nullptr);
    }

    auto back = Shard::openReadOnly(m_path.toStdString());
    QVERIFY(back);
    auto one = back->get(key(0x1111));
    QVERIFY(one && *one);
    QCOMPARE(
        QByteArray(reinterpret_cast<const char *>((*one)->data()), qsizetype((*one)->size())), QByteArray("one again"));
    QVERIFY(back->exists(key(0x4444)));
    QVERIFY(back->exists(key(0x3333)));
}

// After a store write that failed part way: what the store already shows
// done counts as written, the rest is staged again, and nothing is lost
// silently when there is no store to stage on.
void TestEditSession::placementOfAPut()
{
    // Where Put Blob says a blob would go: the store write's own plan over
    // the staged changes and the new blob, in words, with nothing written.
    QTemporaryDir tmp;
    const QString dir = testsupport::copyFixture(tmp.path(), QStringLiteral("store"));
    QVERIFY(!dir.isEmpty());
    const auto before = testsupport::snapshotTree(dir);
    auto store = Store::open(dir.toStdString(), Store::Access::ReadWrite);
    QVERIFY(store);
    StoreEditSession session;
    ContentId intoNewChild {};
    intoNewChild[0] = 0x05; // the reference store's root is full and has no child 05
    intoNewChild[1] = 0x77;
    QCOMPARE(session.placementOfPut(intoNewChild, 10), QString()); // no store yet
    session.setStore(&*store);
    QCOMPARE(session.placementOfPut(intoNewChild, 10), QStringLiteral("shard 05, a shard the write makes"));

    QFile expect(QStringLiteral(SHARDSCOPE_TEST_DATA "/store.expect.json"));
    QVERIFY(expect.open(QIODevice::ReadOnly));
    const QJsonArray blobs = QJsonDocument::fromJson(expect.readAll()).array();
    const auto stored = cidOf(blobs[0].toObject()[QStringLiteral("cid")].toString());
    QVERIFY(stored);
    auto where = store->locate(*stored);
    QVERIFY(where && where->has_value());
    const QString shard = (*where)->relPath.empty()
        ? QStringLiteral("the root shard")
        : QStringLiteral("shard %1").arg(QString::fromStdString((*where)->relPath));
    QCOMPARE(session.placementOfPut(*stored, 10), QStringLiteral("nowhere: %1 holds it already").arg(shard));
    // Staged for removal, the same ID can be put again (a replacement).
    QString why;
    QVERIFY2(session.stageRemove(*stored, &why), qPrintable(why));
    QVERIFY(!session.placementOfPut(*stored, 10).startsWith(QLatin1String("nowhere")));
    // A blob no pack can hold: the write would refuse it, and says why.
    const QString tooBig = session.placementOfPut(intoNewChild, quint64(1) << 40);
    QVERIFY2(tooBig.startsWith(QLatin1String("nowhere: writing it would be refused"))
            && tooBig.contains(QLatin1String("larger than a shard's pack")),
        qPrintable(tooBig));
    // A staged put takes room: the plan counts it before the new one.
    QVERIFY2(session.stagePut(intoNewChild, QByteArray(10, 'x'), &why), qPrintable(why));
    ContentId second = intoNewChild;
    second[1] = 0x78;
    QCOMPARE(session.placementOfPut(second, 10), QStringLiteral("shard 05, a shard the write makes"));
    QCOMPARE(session.placementOfPut(intoNewChild, 10),
        QStringLiteral("nowhere: writing it would be refused "
                       "(%1: content id %2: put twice in one change set)")
            .arg(dir, QString::fromStdString(toHex(intoNewChild))));
    QCOMPARE(testsupport::snapshotTree(dir), before);
}

void TestEditSession::storeSessionStagesUnwrittenAgain()
{
    QFile expect(QStringLiteral(SHARDSCOPE_TEST_DATA "/store.expect.json"));
    QVERIFY(expect.open(QIODevice::ReadOnly));
    const QJsonArray blobs = QJsonDocument::fromJson(expect.readAll()).array();
    QVERIFY(blobs.size() > 2);
    const auto putDone = cidOf(blobs[0].toObject()[QStringLiteral("cid")].toString());
    const auto removeLeft = cidOf(blobs[1].toObject()[QStringLiteral("cid")].toString());
    QVERIFY(putDone && removeLeft);
    // Not stored: changed in the bytes that make the key at every depth.
    ContentId putLeft = *putDone;
    ContentId removeDone = *removeLeft;
    for (size_t i = 0; i < putLeft.size(); ++i) {
        putLeft[i] ^= 0x5a;
        removeDone[i] ^= 0xa5;
    }

    const QList<StoreEditSession::PendingPut> puts {{*putDone, QByteArray("on disk")}, {putLeft, QByteArray("not")}};
    const QList<ContentId> removes {removeDone, *removeLeft};
    StoreEditSession withoutStore;
    QStringList refused;
    QCOMPARE(withoutStore.stageUnwritten(puts, removes, &refused), 0);
    QCOMPARE(refused.size(), 4);
    QVERIFY2(refused.first().contains(QStringLiteral("No store")), qPrintable(refused.first()));

    auto store = Store::open(SHARDSCOPE_TEST_DATA "/store", Store::Access::ReadOnly);
    QVERIFY(store);
    StoreEditSession session;
    session.setStore(&*store);
    refused.clear();
    QCOMPARE(session.stageUnwritten(puts, removes, &refused), 2);
    QVERIFY2(refused.isEmpty(), qPrintable(refused.join(u'\n')));
    QCOMPARE(session.pendingPuts().size(), 1);
    QVERIFY(session.pendingPuts().first().cid == putLeft);
    QCOMPARE(session.pendingPuts().first().data, QByteArray("not"));
    QCOMPARE(session.pendingRemoves(), QList<ContentId> {*removeLeft});
}

void TestEditSession::storeSession()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    QFile expect(QStringLiteral(SHARDSCOPE_TEST_DATA "/store.expect.json"));
    QVERIFY(expect.open(QIODevice::ReadOnly));
    const QJsonArray blobs = QJsonDocument::fromJson(expect.readAll()).array();
    QVERIFY(blobs.size() > 2);
    const auto stored = cidOf(blobs[0].toObject()[QStringLiteral("cid")].toString());
    QVERIFY(stored);
    ContentId fresh = *stored;
    fresh[31] ^= 0x5a;
    fresh[0] ^= 0x01;

    auto store = Store::open(SHARDSCOPE_TEST_DATA "/store", Store::Access::ReadOnly);
    QVERIFY(store);
    StoreEditSession session;
    QString why;
    QVERIFY(!session.stagePut(fresh, QByteArray("x"), &why));
    QVERIFY2(why.contains(QStringLiteral("No store")), qPrintable(why));
    QCOMPARE(session.maxBlobSize(), quint64(0));
    session.setStore(&*store);
    // The root shard's pack bounds what one put can place.
    auto root = store->shard("");
    QVERIFY(root && *root);
    QVERIFY((*root)->packSize() > 0);
    QCOMPARE(session.maxBlobSize(), quint64((*root)->packSize()));
    QSignalSpy changed(&session, &StoreEditSession::changesChanged);

    QVERIFY2(session.stagePut(fresh, QByteArray("new blob"), &why), qPrintable(why));
    QVERIFY(!session.stagePut(fresh, QByteArray("again"), &why));
    QVERIFY2(why.contains(QStringLiteral("already staged")), qPrintable(why));
    QVERIFY(!session.stagePut(*stored, QByteArray("dup"), &why));
    QVERIFY2(why.contains(QStringLiteral("already holds")), qPrintable(why));
    QVERIFY(!session.stageRemove(fresh, &why));
    QVERIFY2(why.contains(QStringLiteral("does not hold")), qPrintable(why));
    QVERIFY(session.stageRemove(*stored, &why));
    QVERIFY(!session.stageRemove(*stored, &why));
    // Removed first, so putting it again is a replacement.
    QVERIFY2(session.stagePut(*stored, QByteArray("replaced"), &why), qPrintable(why));
    QCOMPARE(changed.count(), 3);

    StoreChanges c = session.changes();
    QCOMPARE(c.puts.size(), size_t(2));
    QVERIFY(c.puts[0].first == fresh);
    QCOMPARE(c.puts[1].second, bytes("replaced"));
    QCOMPARE(c.deletes.size(), size_t(1));
    QVERIFY(c.deletes[0] == *stored);
    QVERIFY(!session.unstageRemove(*stored)); // the staged put replaces it

    QUndoStack *stack = session.undoStack();
    QCOMPARE(stack->count(), 3);
    QVERIFY(stack->undoText().startsWith(QStringLiteral("Put 8 bytes as ")));
    stack->undo();
    stack->undo();
    QCOMPARE(session.pendingPuts().size(), 1);
    QVERIFY(!session.isMarkedForRemoval(*stored));
    stack->redo();
    QVERIFY(session.isMarkedForRemoval(*stored));
    QVERIFY(session.unstageRemove(*stored));
    QVERIFY(session.unstagePut(0));
    QVERIFY(!session.hasChanges());
    session.undoStack()->undo();
    QVERIFY(session.hasChanges());
    session.revert();
    QVERIFY(!session.hasChanges());
    QCOMPARE(stack->undoText(), QStringLiteral("Revert changes"));
}

QTEST_GUILESS_MAIN(TestEditSession)
#include "tst_edit_session.moc"
