import Dispatch
import Foundation

extension TokenizerJSON {
    /// Ids above this are refused (a vocabulary of 16M tokens is far beyond any real one, and
    /// tables are sized by the highest id).
    static let maxID = 1 << 24

    /// A vocabulary indexed while the rest of the document was parsed (see
    /// ``JSONDocument/init(bytes:path:reader:afterValidation:)``). Written by one thread
    /// before the parse returns, read after.
    final class EarlyVocabulary: @unchecked Sendable {
        var node = -1
        var table: Result<TokenTable, TokenTable.TokenTableError>?
    }

    /// What ``TokenizerJSONBulkReader`` read while the document was parsed, for the model
    /// readers (nil when the document was read node by node).
    struct BulkFields {
        var reader: TokenizerJSONBulkReader
        var early: EarlyVocabulary
    }

    /// A `{"token": id, …}` vocabulary object as a token table (read in bulk when `bulk` has
    /// it).
    static func vocabularyObject(_ v: JSONValue, path: String?, bulk: BulkFields? = nil) throws(TokkiError) -> TokenTable {
        let doc = v.document
        if let early = bulk?.early, early.node == v.index, let table = early.table {
            do { return try table.get() } catch { throw v.error(error.message) }
        }
        if let bulk = bulk?.reader.vocabularies[v.index] {
            do { return try TokenTable(pool: bulk.pool, keyStarts: bulk.starts, keyLengths: bulk.lengths, ids: bulk.ids) } catch {
                throw v.error(error.message)
            }
        }
        let members = try v.memberIndices()
        var pool: [UInt8] = []
        pool.reserveCapacity(members.count * 8)
        var starts: [Int32] = [], lengths: [Int32] = [], ids: [Int32] = []
        starts.reserveCapacity(members.count); lengths.reserveCapacity(members.count); ids.reserveCapacity(members.count)
        for m in members {
            guard doc.nodes[m.value].kind == .number, let id = doc.integer(m.value), id >= 0, id < maxID else {
                throw v.error("the id of '\(try doc.string(m.key))' is not an integer in 0..<\(maxID)")
            }
            let start = pool.count
            try doc.appendStringBytes(m.key, to: &pool)
            starts.append(Int32(start)); lengths.append(Int32(pool.count - start)); ids.append(Int32(id))
        }
        do { return try TokenTable(pool: pool, keyStarts: starts, keyLengths: lengths, ids: ids) } catch { throw v.error(error.message) }
    }

    /// The merges of a `merges` array read node by node, as (left, right) ids; throws naming the
    /// first malformed merge or unknown token.
    static func mergePairs(_ mergesValue: JSONValue, tokens: TokenTable, path: String?) throws(TokkiError) -> [(Int32, Int32)] {
        let doc = mergesValue.document
        let elements = try mergesValue.elementIndices()
        var merges = [(Int32, Int32)](repeating: (-1, -1), count: elements.count)
        // Problems found per chunk (merge index, message); the first one is reported.
        let chunks = 4
        var problems = [(Int, String)?](repeating: nil, count: chunks)
        let chunkSize = (elements.count + chunks - 1) / max(1, chunks)
        merges.withUnsafeMutableBufferPointer { out in
            problems.withUnsafeMutableBufferPointer { bad in
                nonisolated(unsafe) let out = out, bad = bad
                Parallelism.run(tasks: chunks) { c in
                    let lo = c * chunkSize, hi = min(elements.count, lo + chunkSize)
                    guard lo < hi else { return }
                    var a: [UInt8] = [], b: [UInt8] = [], joined: [UInt8] = []
                    for k in lo..<hi {
                        let e = elements[k]
                        a.removeAll(keepingCapacity: true); b.removeAll(keepingCapacity: true)
                        do throws(TokkiError) {
                            switch doc.nodes[e].kind {
                            case .string:
                                joined.removeAll(keepingCapacity: true)
                                try doc.appendStringBytes(e, to: &joined)
                                guard let space = joined.firstIndex(of: 0x20), !joined[(space + 1)...].contains(0x20) else {
                                    bad[c] = (k, "merge \(k) '\(String(decoding: joined, as: UTF8.self))' is not two tokens separated by a space"); return
                                }
                                a.append(contentsOf: joined[..<space]); b.append(contentsOf: joined[(space + 1)...])
                            case .array:
                                guard doc.nodes[e].count == 2, doc.nodes[e + 1].kind == .string,
                                      doc.nodes[Int(doc.nodes[e + 1].next)].kind == .string else {
                                    bad[c] = (k, "merge \(k) is not a pair of strings"); return
                                }
                                try doc.appendStringBytes(e + 1, to: &a)
                                try doc.appendStringBytes(Int(doc.nodes[e + 1].next), to: &b)
                            default:
                                bad[c] = (k, "merge \(k) is neither \"a b\" nor [\"a\", \"b\"]"); return
                            }
                        } catch {
                            bad[c] = (k, "merge \(k): \(error.description)"); return
                        }
                        guard let ia = tokens.id(a), let ib = tokens.id(b) else {
                            let missing = tokens.id(a) == nil ? a : b
                            bad[c] = (k, "merge '\(String(decoding: a, as: UTF8.self)) \(String(decoding: b, as: UTF8.self))' names '\(String(decoding: missing, as: UTF8.self))', which is not in the vocabulary")
                            return
                        }
                        out[k] = (ia, ib)
                    }
                }
            }
        }
        if let (k, message) = problems.compactMap({ $0 }).min(by: { $0.0 < $1.0 }) {
            throw .invalidModel(path: path, problem: "$.model.merges[\(k)]: \(message)")
        }
        return merges
    }

    /// Resolves merges read in bulk to (left, right) ids and the ids of their concatenations
    /// (right side without `prefix` when it starts with it; -1 when the concatenation is not a
    /// token, which ``BPEModel`` reports). Throws naming the first merge with an unknown token.
    static func resolveMerges(_ m: TokenizerJSONBulkReader.BulkMerges, tokens: TokenTable, prefix: [UInt8], path: String?) throws(TokkiError)
        -> (pairs: [(Int32, Int32)], merged: [Int32]) {
        let count = m.count
        var pairs = [(Int32, Int32)](repeating: (-1, -1), count: count)
        var merged = [Int32](repeating: -1, count: count)
        let workers = max(1, min(4, Parallelism.threads, count / 4096))
        let chunk = (count + workers - 1) / workers
        // The first merge with an unknown token, per chunk.
        var firstBad = [Int](repeating: Int.max, count: workers)
        // A merge usually makes the token whose id follows the previous merge's (vocabularies
        // trained by `tokenizers` and tiktoken's number merged tokens in merge order). That
        // guess is checked by comparing bytes with the token of that id, read in order from
        // the token pool; only a merge whose guess fails looks its joined key up in the hash
        // table (a third of the look-ups, each three cache misses, otherwise).
        let guessable = prefix.isEmpty
        m.pool.withUnsafeBufferPointer { pool in
            m.starts.withUnsafeBufferPointer { starts in
                m.splits.withUnsafeBufferPointer { splits in
                    pairs.withUnsafeMutableBufferPointer { pairsOut in
                        merged.withUnsafeMutableBufferPointer { mergedOut in
                            firstBad.withUnsafeMutableBufferPointer { bad in
                                tokens.withUnsafeTokenBytes { tokenBytes in
                                    tokens.withUnsafeLookup { lookup in
                                        nonisolated(unsafe) let pairsOut = pairsOut, mergedOut = mergedOut, bad = bad
                                        nonisolated(unsafe) let pool = pool, starts = starts, splits = splits
                                        Parallelism.run(tasks: workers) { w in
                                            guard let base = pool.baseAddress else { return }
                                            // Batches of merges: left and right keys (and the joined key
                                            // when the guess fails) looked up together.
                                            let batch = 64
                                            var keys = [UnsafeByteStringLookup.BatchKey](repeating: .init(start: 0, length: 0), count: 3 * batch)
                                            var found = [Int32](repeating: -1, count: 3 * batch)
                                            // Per merge of the batch: its guessed merged id, or the index of its joined key.
                                            var joinedKey = [Int](repeating: -1, count: batch)
                                            var guessed = [Int32](repeating: -1, count: batch)
                                            var joined: [UInt8] = []
                                            var lo = w * chunk
                                            let hi = min(count, (w + 1) * chunk)
                                            var next = -1
                                            while lo < hi {
                                                let m = min(batch, hi - lo)
                                                var nk = 0
                                                for j in 0..<m {
                                                    let s = starts[lo + j], split = splits[lo + j], e = starts[lo + j + 1]
                                                    keys[nk] = .init(start: s, length: split - s)
                                                    keys[nk + 1] = .init(start: split, length: e - split)
                                                    nk += 2
                                                    if guessable && next >= 0 && tokenBytes.token(next, is: base + Int(s), Int(e - s)) {
                                                        guessed[j] = Int32(next); joinedKey[j] = -1
                                                        next += 1
                                                    } else {
                                                        guessed[j] = -1; joinedKey[j] = nk
                                                        keys[nk] = .init(start: s, length: e - s)
                                                        nk += 1
                                                        next = -1
                                                    }
                                                }
                                                keys.withUnsafeMutableBufferPointer { k in
                                                    found.withUnsafeMutableBufferPointer { f in
                                                        if let out = f.baseAddress {
                                                            lookup.values(UnsafeMutableBufferPointer(rebasing: k[0..<nk]), base: base, into: out)
                                                        }
                                                    }
                                                }
                                                nk = 0
                                                for j in 0..<m {
                                                    let k = lo + j
                                                    let a = found[nk], b = found[nk + 1]
                                                    nk += joinedKey[j] >= 0 ? 3 : 2
                                                    guard a >= 0 && b >= 0 else {
                                                        bad[w] = k
                                                        return
                                                    }
                                                    pairsOut[k] = (a, b)
                                                    let s = Int(starts[k]), split = Int(splits[k]), e = Int(starts[k + 1])
                                                    if guessable {
                                                        mergedOut[k] = joinedKey[j] >= 0 ? found[joinedKey[j]] : guessed[j]
                                                    } else if e - split < prefix.count || memcmp(base + split, prefix, prefix.count) != 0 {
                                                        mergedOut[k] = found[joinedKey[j]]
                                                    } else {
                                                        joined.removeAll(keepingCapacity: true)
                                                        joined.append(contentsOf: UnsafeBufferPointer(start: base + s, count: split - s))
                                                        joined.append(contentsOf: UnsafeBufferPointer(start: base + split + prefix.count,
                                                                                                      count: e - split - prefix.count))
                                                        mergedOut[k] = joined.withUnsafeBufferPointer { j in
                                                            withUnsafePointer(to: UInt8(0)) { zero in lookup.value(j.baseAddress ?? zero, j.count) }
                                                        } ?? -1
                                                    }
                                                }
                                                // The guess for the next batch: after the last merge's token.
                                                let last = mergedOut[lo + m - 1]
                                                next = guessable && last >= 0 ? Int(last) + 1 : -1
                                                lo += m
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let k = firstBad.min(), k < count {
            let s = Int(m.starts[k]), split = Int(m.splits[k]), e = Int(m.starts[k + 1])
            let a = Array(m.pool[s..<split]), b = Array(m.pool[split..<e])
            let missing = tokens.id(a) == nil ? a : b
            throw .invalidModel(path: path, problem: "$.model.merges[\(k)]: merge '\(String(decoding: a, as: UTF8.self)) \(String(decoding: b, as: UTF8.self))' names '\(String(decoding: missing, as: UTF8.self))', which is not in the vocabulary")
        }
        return (pairs, merged)
    }
}
