import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// SentencePiece BPE merges a word of at most ``SentencePieceBPEModel/linearLimit`` symbols by
/// a scan over its pairs (``SentencePieceBPEModel/segmentLinear(_:_:into:)``), longer words and
/// dropout with a heap. The heap is the reference's algorithm (the published-model tests compare
/// it with sentencepiece); the scan must give exactly its pieces, ties and user-defined symbols
/// included. `segment(_:into:dropout:)` with a dropout of 0 never skips a merge and always takes
/// the heap, so it is the scan's oracle.
@Suite("SentencePiece BPE merge scan")
struct SentencePieceMergeScanTests {
    /// The pieces of `bytes` by the scan (no dropout) and by the heap (dropout 0).
    static func bothWays(_ bpe: SentencePieceBPEModel, _ bytes: [UInt8]) -> (scan: [TokenSpan], heap: [TokenSpan]) {
        let rng = UnsafeMutablePointer<SplitMixGenerator>.allocate(capacity: 1)
        rng.initialize(to: SplitMixGenerator(seed: 1))
        defer { rng.deinitialize(count: 1); rng.deallocate() }
        var scan: [TokenSpan] = [], heap: [TokenSpan] = []
        bytes.withUnsafeBufferPointer { b in
            var buffers = SentencePieceBPEModel.Buffers()
            bpe.segment(b, into: &scan, buffers: &buffers, dropout: nil)
            bpe.segment(b, into: &heap, buffers: &buffers, dropout: (alpha: 0, rng: rng))
        }
        return (scan, heap)
    }

    /// Random words over `alphabet`, of every length from 1 to past the scan's limit.
    static func words(_ alphabet: [String], count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { k in
            let n = 1 + k % (SentencePieceBPEModel.linearLimit + 12)
            return (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
        }
    }

    /// On the BPE fixtures (user-defined symbols among them) and the shipped Korean
    /// vocabulary: Korean prose, and random words of Hangul, Latin and symbols on both sides
    /// of the limit.
    @Test(arguments: ["sentencepiece/bpe_nfkc.model", "sentencepiece/bpe_identity_uds.model", "sentencepiece/bpe_split_digits.model",
                      "sentencepiece/bpe_ws_suffix.model", "Vocab/tokki-ko-bpe-16k.model"])
    func theScanMergesAsTheHeapDoes(_ file: String) throws {
        let url = file.hasPrefix("Vocab/") ? Fixtures.packageRoot.appendingPathComponent(file) : Fixtures.url(file)
        let sp = try SentencePieceTokenizer(contentsOf: url)
        let bpe = try #require(sp.bpe)
        var texts = try String(contentsOf: Fixtures.url("text/korean-sample.txt"), encoding: .utf8).split(separator: "\n").map(String.init)
        texts += Array(try SentencePieceFixtures.inputs().values)
        texts += Self.words(["법", "률", "제", "조", "의", "을", "는", "1", "a", "b", "ab", "▁", "①", "가나", "다"], count: 600, seed: 5)
        var scanned = 0, longer = 0
        for text in texts {
            let norm = normalizedBytes(sp, text)
            // Word by word, as the cached path hands them over, and each text whole.
            var pieces = [norm]
            norm.withUnsafeBufferPointer { b in
                guard let p = b.baseAddress else { return }
                var words = WordCache.Words(p, b.count)
                while let (s, e) = words.next() { pieces.append(Array(b[s..<e])) }
            }
            for piece in pieces where !piece.isEmpty {
                let symbols = String(decoding: piece, as: UTF8.self).unicodeScalars.count
                if symbols <= SentencePieceBPEModel.linearLimit { scanned += 1 } else { longer += 1 }
                let (scan, heap) = Self.bothWays(bpe, piece)
                #expect(scan == heap, "\(file): \(String(decoding: piece, as: UTF8.self))")
            }
        }
        #expect(scanned > 500 && longer > 20, "both paths are reached (\(scanned) scanned, \(longer) longer)")
    }

    /// A protobuf field key.
    static func key(_ field: Int, _ wire: Int) -> [UInt8] { varint(UInt64(field << 3 | wire)) }
    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
        return out
    }
    static func bytes(_ field: Int, _ payload: [UInt8]) -> [UInt8] { key(field, 2) + varint(UInt64(payload.count)) + payload }

    /// A BPE model file of `pieces` (piece, score; `<unk>` first), identity normalization,
    /// no dummy prefix.
    static func model(_ pieces: [(String, Float)]) throws -> SentencePieceTokenizer {
        var proto: [UInt8] = []
        for (k, (piece, score)) in pieces.enumerated() {
            var p = bytes(1, Array(piece.utf8))
            p += key(2, 5)
            withUnsafeBytes(of: score.bitPattern.littleEndian) { p += $0 }
            p += key(3, 0) + varint(k == 0 ? 2 : 1)  // UNKNOWN, then NORMAL
            proto += bytes(1, p)
        }
        proto += bytes(2, key(3, 0) + varint(2))  // trainer_spec.model_type = BPE
        proto += bytes(3, bytes(1, Array("identity".utf8)) + key(3, 0) + varint(0))  // no dummy prefix
        return try SentencePieceTokenizer(serialized: Data(proto))
    }

    /// Equal scores merge leftmost first, as the reference's heap orders them: worked out by
    /// hand on a model where every merge of two letters scores the same.
    @Test func tiedPairsMergeLeftmostFirst() throws {
        let sp = try Self.model([("<unk>", 0), ("a", -10), ("b", -11), ("c", -12),
                                 ("ab", -1), ("bc", -1), ("ca", -1), ("abc", -2), ("bca", -2)])
        let bpe = try #require(sp.bpe)
        func pieces(_ text: String) -> [String] {
            let bytes = Array(text.utf8)
            let (scan, heap) = Self.bothWays(bpe, bytes)
            #expect(scan == heap, "\(text)")
            return scan.map { String(decoding: bytes[Int($0.start)..<Int($0.end)], as: UTF8.self) }
        }
        // ab and bc tie: ab (leftmost) first, then ab+c = abc.
        #expect(pieces("abc") == ["abc"])
        // bc, ca, ab tie: bc first; then bc+a (bca, -2) loses to a+b (ab, -1); bc+ab is no piece.
        #expect(pieces("bcab") == ["bc", "ab"])
        // ca, ab tie; ca first: c a b → ca b; then no piece "cab".
        #expect(pieces("cab") == ["ca", "b"])
        for word in Self.words(["a", "b", "c"], count: 400, seed: 9) { _ = pieces(word) }
    }

    /// A score that is not a number leaves the scan's order undefined: such words take the
    /// heap, and both ways still agree.
    @Test func aScoreThatIsNotANumberTakesTheHeap() throws {
        let sp = try Self.model([("<unk>", 0), ("a", -10), ("b", -11), ("ab", .nan), ("ba", -1), ("aba", -2)])
        let bpe = try #require(sp.bpe)
        for word in Self.words(["a", "b"], count: 200, seed: 3) {
            let (scan, heap) = Self.bothWays(bpe, Array(word.utf8))
            #expect(scan == heap, "\(word)")
        }
    }
}
