import Foundation
import Testing
@testable import TokkiData
import TokkiTestSupport

@Suite("Suffix array")
struct SuffixArrayTests {
    /// The suffix array by sorting the suffixes themselves: O(n² log n).
    static func naiveSuffixArray(_ t: [UInt8]) -> [Int32] {
        (0..<t.count).sorted { a, b in t[a...].lexicographicallyPrecedes(t[b...]) }.map(Int32.init)
    }

    /// Longest common prefix, stopping before `stop`.
    static func naiveLCP(_ t: [UInt8], _ a: Int, _ b: Int, stop: UInt8?) -> Int {
        var l = 0
        while a + l < t.count && b + l < t.count && t[a + l] == t[b + l] && t[a + l] != stop { l += 1 }
        return l
    }

    static func randomText(_ rng: inout SplitMix64, count: Int, alphabet: [UInt8]) -> [UInt8] {
        (0..<count).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
    }

    @Test func smallCasesByHand() {
        #expect(SuffixArray.build([]) == [])
        #expect(SuffixArray.build([7]) == [0])
        // banana: a(5) ana(3) anana(1) banana(0) na(4) nana(2)
        #expect(SuffixArray.build(Array("banana".utf8)) == [5, 3, 1, 0, 4, 2])
        // mississippi: i(10) ippi(7) issippi(4) ississippi(1) mississippi(0) pi(9) ppi(8) sippi(6) sissippi(3) ssippi(5) ssissippi(2)
        #expect(SuffixArray.build(Array("mississippi".utf8)) == [10, 7, 4, 1, 0, 9, 8, 6, 3, 5, 2])
        // All equal: shorter suffixes first.
        #expect(SuffixArray.build([UInt8](repeating: 3, count: 6)) == [5, 4, 3, 2, 1, 0])
        #expect(SuffixArray.build([0xFF, 0x00, 0xFF]) == [1, 2, 0])
    }

    @Test func matchesNaiveSortOnRandomTexts() {
        var rng = SplitMix64(seed: 0x5A15)
        let alphabets: [[UInt8]] = [[0x61], [0x61, 0x62], [0x61, 0x62, 0x63], [0x00, 0x01, 0xFF], Array(0...255), [0x41, 0x42, 0xFF]]
        for round in 0..<600 {
            let alphabet = alphabets[round % alphabets.count]
            let n = Int(rng.next() % 160)
            let t = Self.randomText(&rng, count: n, alphabet: alphabet)
            #expect(SuffixArray.build(t) == Self.naiveSuffixArray(t), "text \(t)")
        }
    }

    @Test func matchesNaiveSortOnPeriodicAndSeparatedTexts() {
        var rng = SplitMix64(seed: 77)
        var texts: [[UInt8]] = []
        // Periodic texts recurse deeply (every LMS substring alike).
        for period in 1...7 {
            let unit = Self.randomText(&rng, count: period, alphabet: [1, 2, 3])
            for reps in [1, 2, 5, 31, 64] { texts.append(Array((0..<reps).flatMap { _ in unit })) }
        }
        texts.append(Array("abababababababababab".utf8) + Array("ab".utf8))
        texts.append(Array(repeating: 0xFF, count: 40))
        // Documents with separators, many repeating each other.
        for _ in 0..<40 {
            var t: [UInt8] = []
            let docs = (0..<3).map { _ in Self.randomText(&rng, count: Int(rng.next() % 12), alphabet: [0x61, 0x62]) }
            for _ in 0..<Int(rng.next() % 8) { t += docs[Int(rng.next() % 3)] + [0xFF] }
            texts.append(t)
        }
        for t in texts { #expect(SuffixArray.build(t) == Self.naiveSuffixArray(t), "text \(t)") }
    }

    @Test func largeRandomTextIsAPermutationInOrder() {
        // Too long for the naive sort: check it is a permutation and adjacent suffixes are ordered.
        var rng = SplitMix64(seed: 3)
        for alphabet in [[UInt8]([0x61, 0x62]), Array(0...255)] {
            var t = Self.randomText(&rng, count: 20_000, alphabet: alphabet)
            t += t[0..<5000]  // a long repeat
            let sa = SuffixArray.build(t)
            #expect(Set(sa).count == t.count && sa.allSatisfy { $0 >= 0 && Int($0) < t.count })
            var ordered = true
            for r in 1..<sa.count where !t[Int(sa[r - 1])...].lexicographicallyPrecedes(t[Int(sa[r])...]) { ordered = false; break }
            #expect(ordered)
        }
    }

    @Test func permutedLCPMatchesNaive() {
        var rng = SplitMix64(seed: 11)
        for round in 0..<300 {
            let alphabet: [UInt8] = round % 2 == 0 ? [0x61, 0x62, 0xFF] : [0x61, 0x62]
            let t = Self.randomText(&rng, count: Int(rng.next() % 120), alphabet: alphabet)
            let sa = SuffixArray.build(t)
            for stop in [UInt8?.none, 0xFF] {
                let plcp = SuffixArray.permutedLCP(t, suffixArray: sa, stop: stop)
                var expected = [Int32](repeating: 0, count: t.count)
                for r in 1..<max(1, sa.count) {
                    expected[Int(sa[r])] = Int32(Self.naiveLCP(t, Int(sa[r]), Int(sa[r - 1]), stop: stop))
                }
                #expect(plcp == expected, "text \(t) stop \(String(describing: stop))")
            }
        }
    }
}

@Suite("Exact-substring de-duplication")
struct SubstringDeduplicationTests {
    static func run(_ docs: [[UInt8]], minLength: Int) throws -> (SubstringDeduplicator, SubstringDuplicates, [[UInt8]]) {
        let d = try SubstringDeduplicator(minLength: minLength)
        for doc in docs { #expect(d.append(doc) != nil) }
        let found = try d.find()
        var kept: [[UInt8]] = []
        for i in 0..<docs.count {
            var out: [UInt8] = []
            d.appendKept(document: i, removing: found.ranges.filter { $0.document == i }[...], to: &out)
            kept.append(out)
        }
        return (d, found, kept)
    }

    /// The definition by brute force: a byte goes when it lies in a window of `length` bytes,
    /// inside its document, whose bytes occur at an earlier corpus position (also inside a
    /// document). Ranges merge when they overlap or touch. ASCII only (no shrinking).
    static func bruteForce(_ docs: [[UInt8]], length: Int) -> [RemovedRange] {
        var windows: [(doc: Int, at: Int)] = []
        for (d, doc) in docs.enumerated() where doc.count >= length {
            for p in 0...(doc.count - length) { windows.append((d, p)) }
        }
        var removed = docs.map { [Bool](repeating: false, count: $0.count) }
        for (k, w) in windows.enumerated() {
            let bytes = docs[w.doc][w.at..<(w.at + length)]
            if windows[..<k].contains(where: { docs[$0.doc][$0.at..<($0.at + length)] == bytes }) {
                for i in w.at..<(w.at + length) { removed[w.doc][i] = true }
            }
        }
        var ranges: [RemovedRange] = []
        for (d, flags) in removed.enumerated() {
            var i = 0
            while i < flags.count {
                if flags[i] {
                    var j = i
                    while j < flags.count && flags[j] { j += 1 }
                    ranges.append(RemovedRange(document: d, start: i, end: j))
                    i = j
                } else { i += 1 }
            }
        }
        return ranges
    }

    @Test func firstCopyKeptLaterCopiesRemoved() throws {
        let span = Array("THE-REPEATED-SPAN".utf8)  // 17 bytes
        let docs: [[UInt8]] = [
            Array("alpha:".utf8) + span + Array(";one".utf8),  // contexts differ from the others'

            Array("beta".utf8),
            span + Array(" two".utf8),
            Array("gamma ".utf8) + span,
        ]
        let (_, found, kept) = try Self.run(docs, minLength: 10)
        #expect(kept == [docs[0], docs[1], Array(" two".utf8), Array("gamma ".utf8)])
        #expect(found.ranges == [RemovedRange(document: 2, start: 0, end: 17), RemovedRange(document: 3, start: 6, end: 23)])
        #expect(found.bytesRemoved == 34 && found.documentsEdited == 2)
        // A span one byte shorter than the minimum stays everywhere.
        let (_, none, same) = try Self.run(docs, minLength: 18)
        #expect(none.ranges.isEmpty && same == docs)
    }

    @Test func repeatsInsideOneDocumentAndNeverAcrossDocuments() throws {
        // Within a document: the second copy goes.
        let (_, _, kept) = try Self.run([Array("xyzxyzxyzQ0123456789Q0123456789".utf8)], minLength: 10)
        #expect(kept == [Array("xyzxyzxyzQ0123456789".utf8)])
        // The end of one document and the start of the next together repeat an earlier span,
        // but no match crosses the separator: nothing goes.
        let docs = [Array("abcdefghij".utf8), Array("abcde".utf8), Array("fghij".utf8)]
        let (_, found, _) = try Self.run(docs, minLength: 6)
        #expect(found.ranges.isEmpty)
    }

    @Test func matchesBruteForceOnRandomCorpora() throws {
        var rng = SplitMix64(seed: 2024)
        for round in 0..<250 {
            let alphabet: [UInt8] = round % 3 == 0 ? [0x61] : round % 3 == 1 ? [0x61, 0x62] : [0x61, 0x62, 0x63, 0x64]
            var pool: [[UInt8]] = (0..<3).map { _ in SuffixArrayTests.randomText(&rng, count: Int(rng.next() % 14), alphabet: alphabet) }
            pool.append([])
            var docs: [[UInt8]] = []
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                // Documents built from shared pieces and random bytes, so repeats are frequent.
                var doc: [UInt8] = []
                for _ in 0..<Int(rng.next() % 4) {
                    doc += rng.next() % 2 == 0 ? pool[Int(rng.next() % UInt64(pool.count))]
                        : SuffixArrayTests.randomText(&rng, count: Int(rng.next() % 5), alphabet: alphabet)
                }
                docs.append(doc)
            }
            let length = 1 + Int(rng.next() % 8)
            let (_, found, kept) = try Self.run(docs, minLength: length)
            let expected = Self.bruteForce(docs, length: length)
            #expect(found.ranges == expected, "docs \(docs.map { String(decoding: $0, as: UTF8.self) }) L \(length)")
            #expect(found.bytesRemoved == expected.reduce(0) { $0 + $1.count })
            // The kept text of each document is its bytes outside the ranges, in order.
            for (i, doc) in docs.enumerated() {
                var expectKept: [UInt8] = []
                for (p, b) in doc.enumerated() where !expected.contains(where: { $0.document == i && p >= $0.start && p < $0.end }) { expectKept.append(b) }
                #expect(kept[i] == expectKept)
            }
        }
    }

    @Test func rangesShrinkToWholeCharacters() throws {
        let shared = Array("0123456789abcdef".utf8)
        // U+AC00 (EA B0 80) and U+BC00 (EB B0 80) share two trailing bytes: the match in the
        // second document starts inside its first character, which stays whole.
        let a: [UInt8] = Array("\u{AC00}".utf8) + shared + Array("\u{AC00}".utf8)
        let b: [UInt8] = Array("\u{BC00}".utf8) + shared + Array("\u{AC01}".utf8)  // AC01 = EA B0 81
        let (_, found, kept) = try Self.run([a, b], minLength: 8)
        // Raw match: bytes 1..<21 of b (B0 80, shared, EA B0); shrunk to the 16 shared bytes.
        #expect(found.ranges == [RemovedRange(document: 1, start: 3, end: 19)])
        #expect(kept[1] == Array("\u{BC00}\u{AC01}".utf8))
        #expect(String(validating: kept[1], as: UTF8.self) != nil)
    }

    @Test func koreanDisclaimerRepeatedInJudgmentsIsKeptOnce() throws {
        let disclaimer = "※ 이 판결문은 대법원 종합법률정보에서 제공하는 자료로서, 개인정보 보호를 위하여 당사자의 이름 등은 비실명 처리되었습니다. 법적 효력이 없으며 참고용으로만 사용하십시오."
        var docs: [[UInt8]] = []
        for k in 0..<50 {
            let head = "대법원 \(2020 + k % 5). \(k % 12 + 1). \(k % 28 + 1). 선고 20\(k)다\(1000 + 37 * k) 판결 [손해배상(기)] 원고의 상고를 기각한다. "
            let tail = " 상고비용은 원고가 부담한다. 이 사건 \(k)번째 쟁점에 관하여 원심의 판단은 정당하다."
            docs.append(Array((head + disclaimer + tail).utf8))
        }
        let (d, found, kept) = try Self.run(docs, minLength: 100)
        #expect(kept[0] == docs[0])
        let bytes = Array(disclaimer.utf8)
        for i in 1..<50 {
            #expect(!kept[i].indices.contains { kept[i][$0...].starts(with: bytes[0..<60]) }, "document \(i) still has the disclaimer")
            #expect(String(validating: kept[i], as: UTF8.self) != nil)
        }
        let (spans, distinct) = d.spans(of: found, top: 1000)
        #expect(distinct == spans.count && distinct >= 1)
        // The disclaimer (with whatever the judgments share around it) is the most removed span,
        // and it went from each of the 49 later judgments.
        let top = try #require(spans.first)
        #expect(String(decoding: d.text(of: top.first), as: UTF8.self).contains(disclaimer))
        let withDisclaimer = spans.filter { String(decoding: d.text(of: $0.first), as: UTF8.self).contains(disclaimer) }
        #expect(withDisclaimer.reduce(0) { $0 + $1.count } == 49)
        #expect(spans.map(\.bytesRemoved) == spans.map(\.bytesRemoved).sorted(by: >))
    }

    @Test func rejectsBadMinimumAndNonUTF8Bytes() throws {
        #expect(throws: DataError.self) { try SubstringDeduplicator(minLength: 0) }
        let d = try SubstringDeduplicator(minLength: 4)
        #expect(d.append([0x61, 0xFF, 0x62]) == nil && d.documentCount == 0)
        #expect(d.append([0x61, 0x62]) == 0 && d.corpus == [0x61, 0x62, 0xFF])
        #expect(SubstringDeduplicator.memoryNeeded(corpusBytes: 1_000_000) < 10_000_000)
    }

    @Test func reportJSONListsSpans() {
        var report = CleaningReport(command: "dedup", inputs: ["a.txt"], documents: 3, kept: 3, removedByRule: [:])
        report.substrings = SubstringReport(minLength: 100, textBytes: 900, bytesRemoved: 240, rangesRemoved: 2, documentsEdited: 2,
                                            distinctSpans: 1, spans: [.init(preview: "면책 \"고지\"", length: 120, count: 2,
                                                                            firstRemoved: DocumentLocation(source: "a.txt", line: 2))])
        let json = String(decoding: report.json, as: UTF8.self)
        #expect(json.hasSuffix(#""substrings":{"min_length_bytes":100,"text_bytes":900,"bytes_removed":240,"ranges_removed":2,"documents_edited":2,"distinct_spans":1,"spans":[{"text":"면책 \"고지\"","length":120,"count":2,"bytes_removed":240,"first_removed":{"source":"a.txt","line":2}}]}}"# + "\n"))
        #expect(SubstringReport.preview(Array(String(repeating: "가", count: 100).utf8)[...]) == String(repeating: "가", count: 66))
    }
}

@Suite("Exact-substring de-duplication on disk")
struct SubstringDiskModeTests {
    /// A fresh empty folder for the parts file.
    static func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-sa-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func find(_ docs: [[UInt8]], minLength: Int, disk: SubstringDiskMode?) throws -> SubstringDuplicates {
        let d = try SubstringDeduplicator(minLength: minLength)
        for doc in docs { #expect(d.append(doc) != nil) }
        return try d.find(disk: disk)
    }

    @Test func sameRangesAsInMemoryAndBruteForceWithManyParts() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 0xD15C)
        for round in 0..<300 {
            let alphabet: [UInt8] = round % 3 == 0 ? [0x61] : round % 3 == 1 ? [0x61, 0x62] : [0x61, 0x62, 0x63, 0x64]
            let pool: [[UInt8]] = (0..<3).map { _ in SuffixArrayTests.randomText(&rng, count: Int(rng.next() % 20), alphabet: alphabet) }
            var docs: [[UInt8]] = []
            for _ in 0..<(1 + Int(rng.next() % 7)) {
                var doc: [UInt8] = []
                for _ in 0..<Int(rng.next() % 5) {
                    doc += rng.next() % 2 == 0 ? pool[Int(rng.next() % 3)] : SuffixArrayTests.randomText(&rng, count: Int(rng.next() % 6), alphabet: alphabet)
                }
                docs.append(doc)
            }
            let length = 1 + Int(rng.next() % 9)
            let part = 1 + Int(rng.next() % 24)  // parts far shorter than the repeats: they cross every edge
            let expected = SubstringDeduplicationTests.bruteForce(docs, length: length)
            let memory = try Self.find(docs, minLength: length, disk: nil)
            let disk = try Self.find(docs, minLength: length, disk: SubstringDiskMode(partBytes: part, directory: dir, threads: 1 + round % 2))
            #expect(disk.ranges == expected && disk.ranges == memory.ranges, "docs \(docs.map { String(decoding: $0, as: UTF8.self) }) L \(length) P \(part)")
            #expect(disk.bytesRemoved == memory.bytesRemoved && disk.documentsEdited == memory.documentsEdited)
        }
        // No parts file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func repeatsAcrossPartEdgesAndDocumentsAtEdges() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Parts of 8 positions: "0123456789ABCDEFGHIJ" (20 bytes) starts at 3 and crosses the
        // edges at 8 and 16; document 1 starts exactly at the edge 24 and its partial copy
        // crosses the edge at 32; the copy in document 2 (from 49) crosses 56 and 64.
        let span = Array("0123456789ABCDEFGHIJ".utf8)
        let docs: [[UInt8]] = [Array("abc".utf8) + span, Array("x".utf8) + Array("yz".utf8) + Array(span[0..<14]) + Array("!!!".utf8) + Array("qqqq".utf8), Array("w".utf8) + span]
        #expect(docs[0].count + 1 == 24)
        let memory = try Self.find(docs, minLength: 12, disk: nil)
        #expect(memory.ranges == [RemovedRange(document: 1, start: 3, end: 17), RemovedRange(document: 2, start: 1, end: 21)])
        for part in [1, 2, 3, 7, 8, 23, 24, 25, 1000] {
            let disk = try Self.find(docs, minLength: 12, disk: SubstringDiskMode(partBytes: part, directory: dir))
            #expect(disk.ranges == memory.ranges, "P \(part)")
        }
    }

    @Test func largeKoreanCorpusSameAsInMemory() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 9)
        let words = ["대법원", "판결", "원고", "피고", "상고를", "기각한다", "손해배상", "이 사건", "※ 개인정보 보호를 위하여", "법적 효력이 없으며", "참고용으로만", "사용하십시오."]
        var docs: [[UInt8]] = []
        for _ in 0..<400 {
            var doc = ""
            for _ in 0..<(5 + Int(rng.next() % 40)) { doc += words[Int(rng.next() % UInt64(words.count))] + " " }
            docs.append(Array(doc.utf8))
        }
        for length in [8, 30, 100] {
            let memory = try Self.find(docs, minLength: length, disk: nil)
            #expect(memory.bytesRemoved > 0)
            for part in [1500, 7919, 65_536] {
                for threads in [1, 2] {
                    let disk = try Self.find(docs, minLength: length, disk: SubstringDiskMode(partBytes: part, directory: dir, threads: threads))
                    #expect(disk.ranges == memory.ranges, "L \(length) P \(part) threads \(threads)")
                }
            }
        }
    }

    @Test func memoryBudgetAndBadFolder() throws {
        // The part size chosen for a budget fits it; too small a budget gives none.
        for (memory, n) in [(10 << 20, 4 << 20), (100 << 20, 50 << 20), (3 << 30, 2 << 30)] {
            let p = try #require(SubstringDiskMode.partBytes(memory: memory, corpusBytes: n, minLength: 100))
            #expect(SubstringDiskMode.memoryNeeded(corpusBytes: n, partBytes: p, minLength: 100) <= memory)
            #expect(SubstringDiskMode.memoryNeeded(corpusBytes: n, partBytes: p + 1000, minLength: 100) > memory)
            let p2 = try #require(SubstringDiskMode.partBytes(memory: memory, corpusBytes: n, minLength: 100, threads: 2))
            #expect(p2 < p && SubstringDiskMode.memoryNeeded(corpusBytes: n, partBytes: p2, minLength: 100, threads: 2) <= memory)
        }
        #expect(SubstringDiskMode.partBytes(memory: 1 << 20, corpusBytes: 1 << 20, minLength: 100) == nil)
        #expect(SubstringDiskMode.width(1) == 1 && SubstringDiskMode.width(256) == 1 && SubstringDiskMode.width(257) == 2
            && SubstringDiskMode.width(1 << 32) == 4 && SubstringDiskMode.width((1 << 32) + 1) == 5)
        let d = try SubstringDeduplicator(minLength: 3)
        d.append(Array("abcabc".utf8))
        #expect(throws: DataError.self) { try d.find(disk: SubstringDiskMode(partBytes: 2, directory: "/nonexistent-tokki-folder")) }
    }

    @Test func damagedPartsFileIsAnErrorNamingTheByte() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try PartFile(directory: dir, width: 3)
        defer { file.remove() }
        for v in [5, 70_000, 9] { try file.append(v) }
        try file.flush()
        var reader = PartReader(file: file, offset: 0, count: 3, owned: 0..<100_000, bufferBytes: 256)
        #expect(try reader.next() == 5)
        #expect(try reader.next() == 70_000)
        #expect(try reader.next() == 9)
        #expect(try reader.next() == nil)
        // An offset outside the part, and a file shorter than its parts say.
        var outside = PartReader(file: file, offset: 0, count: 3, owned: 0..<10, bufferBytes: 256)
        #expect(try outside.next() == 5)
        #expect(throws: DataError.invalidFormat(path: file.path, problem: "byte 3: offset 70000 lies outside its part 0..<10")) { try outside.next() }
        var short = PartReader(file: file, offset: 2, count: 2, owned: 0..<100_000, bufferBytes: 256)
        #expect(throws: DataError.self) { try short.next() }
    }
}

@Suite("Exact-substring de-duplication in tokens")
struct SubstringTokensTests {
    /// The token definition by brute force: a token goes when it lies in a window of `n` tokens
    /// of its document whose ids occur as `n` tokens at an earlier corpus position. Runs of cut
    /// tokens, as token-stream byte ranges (3 bytes a token).
    static func bruteForce(_ docs: [[Int]], n: Int) -> [RemovedRange] {
        var earlier: [[Int]] = []
        var ranges: [RemovedRange] = []
        for (d, doc) in docs.enumerated() {
            var cut = [Bool](repeating: false, count: doc.count)
            if doc.count >= n {
                for i in 0...(doc.count - n) {
                    let w = Array(doc[i..<(i + n)])
                    if earlier.contains(w) { for j in i..<(i + n) { cut[j] = true } }
                    earlier.append(w)
                }
            }
            var i = 0
            while i < cut.count {
                if cut[i] {
                    var j = i
                    while j < cut.count && cut[j] { j += 1 }
                    ranges.append(RemovedRange(document: d, start: 3 * i, end: 3 * j))
                    i = j
                } else { i += 1 }
            }
        }
        return ranges
    }

    @Test func tokenWindowsMatchBruteForceInMemoryAndOnDisk() throws {
        let dir = try SubstringDiskModeTests.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 0x70C)
        for round in 0..<200 {
            // Ids whose 3-byte forms share bytes across token edges (0x81 = 1·128+1, …), so
            // byte matches that do not start on a token are frequent and must not count.
            let alphabet = round % 2 == 0 ? [1, 129, 16_513] : [0, 1, 2, 128, 2_097_151]
            let pool: [[Int]] = (0..<3).map { _ in (0..<Int(rng.next() % 8)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } }
            var docs: [[Int]] = []
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                var doc: [Int] = []
                for _ in 0..<Int(rng.next() % 4) {
                    doc += rng.next() % 2 == 0 ? pool[Int(rng.next() % 3)] : [alphabet[Int(rng.next() % UInt64(alphabet.count))]]
                }
                docs.append(doc)
            }
            let n = 1 + Int(rng.next() % 4)
            let d = try SubstringDeduplicator(minLength: 3 * n, stride: 3)
            for doc in docs {
                var bytes: [UInt8] = []
                #expect(SubstringTokens.encode(doc, into: &bytes) && bytes.allSatisfy { $0 < 0x80 } && bytes.count == 3 * doc.count)
                #expect(d.append(bytes) != nil)
            }
            let expected = Self.bruteForce(docs, n: n)
            #expect(try d.find().ranges == expected, "docs \(docs) n \(n)")
            #expect(try d.find(disk: SubstringDiskMode(partBytes: 1 + Int(rng.next() % 10), directory: dir)).ranges == expected, "docs \(docs) n \(n)")
        }
        var none: [UInt8] = []
        #expect(!SubstringTokens.encode([5, 1 << 21], into: &none) && none.isEmpty)
        #expect(!SubstringTokens.encode([-1], into: &none))
    }

    @Test func tokenRunsBecomeWholeCharacterByteRanges() throws {
        let text = try SubstringDeduplicator(minLength: 1)
        text.append(Array("가나다 라마".utf8))  // 가 나 다 (3 bytes each), space, 라 마
        text.append(Array("xyz".utf8))
        // Token runs (token-stream bytes) of document 0: tokens 0..<2 and 3..<4; document 1: token 1.
        var found = SubstringDuplicates()
        found.ranges = [RemovedRange(document: 0, start: 0, end: 6), RemovedRange(document: 0, start: 9, end: 12), RemovedRange(document: 1, start: 3, end: 6)]
        var asked: [Int] = []
        let bytes = SubstringTokens.byteDuplicates(found, text: text) { (i: Int) -> [Range<Int>] in
            asked.append(i)
            // Document 0: 가나 | 다 (a byte-level split: 4..<6 and 5..<9 overlap) | " " | 라마; document 1: x | y | z.
            return i == 0 ? [0..<6, 4..<6, 5..<9, 9..<10, 10..<16] : [0..<1, 1..<2, 2..<3]
        }
        #expect(asked == [0, 1])
        // Tokens 0-1 cover 0..<6 (the overlap of token 1 inside it); token 3 covers 9..<10 (not
        // touching 0..<6: 다 at 6..<9 stays); document 1's token 1 is "y".
        #expect(bytes.ranges == [RemovedRange(document: 0, start: 0, end: 6), RemovedRange(document: 0, start: 9, end: 10),
                                 RemovedRange(document: 1, start: 1, end: 2)])
        #expect(bytes.bytesRemoved == 8 && bytes.documentsEdited == 2)
        // A run whose bytes start inside a character shrinks to whole characters.
        var inside = SubstringDuplicates()
        inside.ranges = [RemovedRange(document: 0, start: 3, end: 6)]
        let shrunk = SubstringTokens.byteDuplicates(inside, text: text) { (_: Int) -> [Range<Int>] in [0..<4, 4..<10, 10..<16] }
        #expect(shrunk.ranges == [RemovedRange(document: 0, start: 6, end: 10)])
        let gone = SubstringTokens.byteDuplicates(inside, text: text) { (_: Int) -> [Range<Int>] in [0..<4, 4..<8, 8..<16] }
        #expect(gone.ranges.isEmpty && gone.bytesRemoved == 0 && gone.documentsEdited == 0)
    }
}
