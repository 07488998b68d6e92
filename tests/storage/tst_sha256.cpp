// Sha256: the sha256 fields of dumps are compared with the reference's
// .expect.json, so a padding mistake would show up as every fixture failing.
// Known-answer vectors pin the lengths where padding changes (55, 56, 63, 64).
#include "test_support.h"

#include "sha256.h"

#include <QCryptographicHash>
#include <QTest>

using namespace shardscope;
using namespace testsupport;

namespace {
QByteArray hexOf(const Sha256::Digest &d)
{
    return toByteArray(d).toHex();
}
} // namespace

class tst_Sha256 : public QObject
{
    Q_OBJECT

private slots:
    void knownVectors_data();
    void knownVectors();
    void chunkedEqualsOneShot_data();
    void chunkedEqualsOneShot();
    void agreesWithQtForEveryLengthUpTo300();
    void emptyUpdatesChangeNothing();
};

void tst_Sha256::knownVectors_data()
{
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QByteArray>("digest");

    QTest::newRow("empty") << QByteArray()
                           << QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    QTest::newRow("abc") << QByteArray("abc")
                         << QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    QTest::newRow("55 bytes: padding just fits one block")
        << QByteArray(55, 'a') << QByteArray("9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    QTest::newRow("56 bytes (FIPS 180 two-block vector)")
        << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        << QByteArray("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    QTest::newRow("63 bytes") << QByteArray(63, 'a')
                              << QByteArray("7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
    QTest::newRow("64 bytes: exactly one block of data")
        << QByteArray(64, 'a') << QByteArray("ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    QByteArray counting(64, '\0');
    for (int i = 0; i < 64; ++i)
        counting[i] = char(i);
    QTest::newRow("64 bytes 00..3f") << counting
                                     << QByteArray("fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108");
    QTest::newRow("112 bytes (FIPS 180 896-bit vector)") << QByteArray(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstn"
        "opqrstu") << QByteArray("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    QTest::newRow("one million a") << QByteArray(1000000, 'a')
                                   << QByteArray("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

void tst_Sha256::knownVectors()
{
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, digest);

    QCOMPARE(hexOf(Sha256::hash(bytesOf(message))), digest);
    QCOMPARE(QByteArray::fromStdString(Sha256::hexHash(bytesOf(message))), digest);

    Sha256 h;
    h.update(bytesOf(message));
    QCOMPARE(hexOf(h.finish()), digest);
}

void tst_Sha256::chunkedEqualsOneShot_data()
{
    QTest::addColumn<int>("chunk");
    QTest::addColumn<int>("length");

    for (int chunk : {1, 3, 55, 56, 63, 64, 65, 127, 128, 1000, 4096}) {
        for (int length : {0, 1, 63, 64, 65, 119, 120, 10007})
            QTest::addRow("chunk %d, length %d", chunk, length) << chunk << length;
    }
}

void tst_Sha256::chunkedEqualsOneShot()
{
    QFETCH(int, chunk);
    QFETCH(int, length);

    std::mt19937_64 rng(uint64_t(length) * 1000 + uint64_t(chunk));
    const std::vector<uint8_t> message = randomBytes(rng, size_t(length));
    const auto oneShot = Sha256::hash(message);

    Sha256 h;
    for (size_t at = 0; at < message.size(); at += size_t(chunk))
        h.update(std::span(message).subspan(at, std::min(size_t(chunk), message.size() - at)));
    QCOMPARE(hexOf(h.finish()), hexOf(oneShot));

    // Irregular chunk sizes cross block boundaries at every position.
    Sha256 irregular;
    size_t at = 0;
    for (size_t step = 1; at < message.size(); step = step % 97 + 1) {
        const size_t n = std::min(step, message.size() - at);
        irregular.update(std::span(message).subspan(at, n));
        at += n;
    }
    QCOMPARE(hexOf(irregular.finish()), hexOf(oneShot));
    QCOMPARE(hexOf(oneShot), sha256Hex(std::span<const uint8_t>(message)));
}

void tst_Sha256::agreesWithQtForEveryLengthUpTo300()
{
    std::mt19937_64 rng(300);
    for (size_t len = 0; len <= 300; ++len) {
        const std::vector<uint8_t> m = randomBytes(rng, len);
        QCOMPARE(QByteArray::fromStdString(Sha256::hexHash(m)), sha256Hex(std::span<const uint8_t>(m)));
    }
}

void tst_Sha256::emptyUpdatesChangeNothing()
{
    Sha256 h;
    h.update({});
    h.update(bytesOf(QByteArray("ab")));
    h.update({});
    h.update(bytesOf(QByteArray("c")));
    QCOMPARE(hexOf(h.finish()), QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

QTEST_GUILESS_MAIN(tst_Sha256)
#include "tst_sha256.moc"
