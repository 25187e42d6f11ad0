import Dispatch
import Foundation

/// Truncation settings, as `tokenizers`' `TruncationParams` (the `truncation` field of
/// `tokenizer.json`).
public struct Truncation: Sendable, Equatable {
    /// Which sequence loses tokens.
    public enum Strategy: String, Sendable {
        /// Remove from the longer of the pair first.
        case longestFirst = "longest_first"
        /// Only the first sequence.
        case onlyFirst = "only_first"
        /// Only the second sequence.
        case onlySecond = "only_second"
    }

    /// Which end is cut.
    public enum Direction: String, Sendable {
        /// Keep the start.
        case right
        /// Keep the end.
        case left
    }

    /// The maximum number of tokens (special tokens included).
    public var maxLength: Int
    /// Tokens repeated between consecutive overflowing parts.
    public var stride: Int
    /// Which sequence loses tokens.
    public var strategy: Strategy
    /// Which end is cut.
    public var direction: Direction

    /// Creates settings (defaults as `tokenizers`).
    public init(maxLength: Int, stride: Int = 0, strategy: Strategy = .longestFirst, direction: Direction = .right) {
        self.maxLength = maxLength
        self.stride = stride
        self.strategy = strategy
        self.direction = direction
    }

    static let tooShort = TokkiError.invalidConfiguration("Truncation error: Sequence to truncate too short to respect the provided max_length")

    /// `tokenizers`' `truncate_encodings`.
    func truncate(_ a: inout Encoding, _ b: inout Encoding?) throws(TokkiError) {
        if maxLength == 0 {
            try a.truncate(to: 0, stride: stride, direction: direction)
            if b != nil { try b!.truncate(to: 0, stride: stride, direction: direction) }
            return
        }
        let total = a.ids.count + (b?.ids.count ?? 0)
        guard total > maxLength else { return }
        let toRemove = total - maxLength
        switch strategy {
        case .longestFirst:
            guard var other = b else {
                try a.truncate(to: total - toRemove, stride: stride, direction: direction)
                return
            }
            var n1 = a.ids.count, n2 = other.ids.count
            let swap = n1 > n2
            if swap { (n1, n2) = (n2, n1) }
            n2 = n1 > maxLength ? n1 : max(n1, maxLength - n1)
            if n1 + n2 > maxLength {
                n1 = maxLength / 2
                n2 = n1 + maxLength % 2
            }
            if swap { (n1, n2) = (n2, n1) }
            try a.truncate(to: n1, stride: stride, direction: direction)
            try other.truncate(to: n2, stride: stride, direction: direction)
            b = other
        case .onlyFirst:
            guard a.ids.count > toRemove else { throw Self.tooShort }
            try a.truncate(to: a.ids.count - toRemove, stride: stride, direction: direction)
        case .onlySecond:
            guard var other = b else { throw .invalidConfiguration("Truncation error: Second sequence not provided") }
            guard other.ids.count > toRemove else { throw Self.tooShort }
            try other.truncate(to: other.ids.count - toRemove, stride: stride, direction: direction)
            b = other
        }
    }
}

/// Padding settings, as `tokenizers`' `PaddingParams` (the `padding` field of `tokenizer.json`).
public struct Padding: Sendable, Equatable {
    /// To which length.
    public enum Strategy: Sendable, Equatable {
        /// The longest encoding of the batch.
        case batchLongest
        /// A fixed length.
        case fixed(Int)
    }

    /// Which side gets the padding.
    public enum Direction: String, Sendable {
        /// After the tokens.
        case right
        /// Before the tokens.
        case left
    }

    /// To which length.
    public var strategy: Strategy
    /// Which side.
    public var direction: Direction
    /// Round the length up to a multiple of this.
    public var padToMultipleOf: Int?
    /// The id of padding tokens.
    public var padID: Int
    /// Their type id.
    public var padTypeID: Int
    /// Their token string.
    public var padToken: String

    /// Creates settings (defaults as `tokenizers`).
    public init(strategy: Strategy = .batchLongest, direction: Direction = .right, padToMultipleOf: Int? = nil,
                padID: Int = 0, padTypeID: Int = 0, padToken: String = "[PAD]") {
        self.strategy = strategy
        self.direction = direction
        self.padToMultipleOf = padToMultipleOf
        self.padID = padID
        self.padTypeID = padTypeID
        self.padToken = padToken
    }

    /// The target length for encodings of the given lengths.
    func length(for lengths: [Int]) -> Int {
        var n: Int
        switch strategy {
        case .fixed(let size): n = size
        case .batchLongest: n = lengths.max() ?? 0
        }
        if let m = padToMultipleOf, m > 0, n % m > 0 { n += m - n % m }
        return n
    }

    /// `tokenizers`' `Encoding::pad`: the overflowing parts first, then the encoding itself.
    func pad(_ e: inout Encoding, toLength target: Int) {
        for k in e.overflowing.indices { pad(&e.overflowing[k], toLength: target) }
        let n = target - e.ids.count
        guard n > 0 else { return }
        let zero = Array(repeating: 0..<0, count: n)
        switch direction {
        case .right:
            e.ids += Array(repeating: padID, count: n)
            e.typeIDs += Array(repeating: padTypeID, count: n)
            e.pieces += Array(repeating: padToken, count: n)
            e.attentionMask += Array(repeating: 0, count: n)
            e.specialTokensMask += Array(repeating: 1, count: n)
            e.offsets += zero
            e.characterOffsets += zero
        case .left:
            e.ids = Array(repeating: padID, count: n) + e.ids
            e.typeIDs = Array(repeating: padTypeID, count: n) + e.typeIDs
            e.pieces = Array(repeating: padToken, count: n) + e.pieces
            e.attentionMask = Array(repeating: 0, count: n) + e.attentionMask
            e.specialTokensMask = Array(repeating: 1, count: n) + e.specialTokensMask
            e.offsets = zero + e.offsets
            e.characterOffsets = zero + e.characterOffsets
        }
    }
}

extension Encoding {
    /// The tokens `range`, without overflowing parts.
    func slice(_ r: Range<Int>) -> Encoding {
        Encoding(ids: Array(ids[r]), pieces: Array(pieces[r]), offsets: Array(offsets[r]), characterOffsets: Array(characterOffsets[r]),
                 typeIDs: Array(typeIDs[r]), specialTokensMask: Array(specialTokensMask[r]), attentionMask: Array(attentionMask[r]))
    }

    /// `tokenizers`' `Encoding::truncate`: keeps `maxLength` tokens and moves the rest into
    /// overflowing parts of that length overlapping by `stride`.
    mutating func truncate(to maxLength: Int, stride: Int, direction: Truncation.Direction) throws(TokkiError) {
        let n = ids.count
        guard maxLength < n else { return }
        if maxLength == 0 {
            var whole = self
            whole.overflowing = overflowing
            self = .empty
            overflowing = [whole]
            return
        }
        guard stride < maxLength else {
            throw .invalidConfiguration("truncation stride \(stride) must be smaller than the length kept (\(maxLength), after the special tokens)")
        }
        let step = maxLength - stride
        var parts: [Range<Int>] = []
        switch direction {
        case .right:
            var start = 0
            while start < n {
                let stop = min(start + maxLength, n)
                parts.append(start..<stop)
                if stop == n { break }
                start += step
            }
        case .left:
            var stop = n
            while stop > 0 {
                let start = max(0, stop - maxLength)
                parts.append(start..<stop)
                if start == 0 { break }
                stop -= step
            }
        }
        var first = slice(parts[0])
        first.overflowing = parts.dropFirst().map { slice($0) }
        self = first
    }
}

extension HuggingFaceTokenizer {
    /// Encodes many texts (or pairs, when `pairs` is given: one per text) on `threads`
    /// threads (nil: ``Parallelism/threads``), then pads them together — as `tokenizers`'
    /// `encode_batch`. The result does not depend on the thread count.
    public func encodeBatch(_ texts: [String], pairs: [String]? = nil, addSpecialTokens: Bool = true,
                            threads: Int? = nil) throws(TokkiError) -> [Encoding] {
        if let pairs, pairs.count != texts.count {
            throw .invalidConfiguration("encodeBatch: \(texts.count) texts but \(pairs.count) pairs")
        }
        let results = Parallelism.map(texts.count, threads: threads, empty: Result<Encoding, TokkiError>.success(.empty)) { range, out in
            var scratch = ModelScratch()
            for k in range {
                do throws(TokkiError) {
                    out[k] = .success(try encode(texts[k], pair: pairs?[k], addSpecialTokens: addSpecialTokens, scratch: &scratch))
                } catch {
                    out[k] = .failure(error)
                }
            }
        }
        var encodings: [Encoding] = []
        encodings.reserveCapacity(texts.count)
        for r in results { encodings.append(try r.get()) }
        if let padding {
            let target = padding.length(for: encodings.map(\.ids.count))
            for k in encodings.indices { padding.pad(&encodings[k], toLength: target) }
        }
        return encodings
    }
}
