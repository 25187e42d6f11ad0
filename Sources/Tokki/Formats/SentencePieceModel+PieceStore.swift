import Synchronization

extension SentencePieceModel {
    /// The texts of the user-defined pieces, in id order.
    var userDefinedPieces: [String] {
        (0..<store.count).filter { store.types[$0] == .userDefined }.map { store.text($0) }
    }

    /// The vocabulary as read: piece texts back to back, scores and types by id. Reading a
    /// `.model` fills it straight from the file's bytes (no string per piece: a 262,144-piece
    /// model loads in a fraction of the time); the ``SentencePieceModel/pieces`` array is made
    /// from it on first use.
    final class PieceStore: Sendable {
        /// Piece texts back to back; piece `id` is `pool[starts[id] ..< starts[id + 1]]`.
        let pool: [UInt8]
        /// `count + 1` offsets into `pool`.
        let starts: [Int32]
        let scores: [Float]
        let types: [PieceType]
        private let materialized = Mutex<[Piece]?>(nil)
        private let texts = Mutex<[String]?>(nil)

        var count: Int { types.count }

        init(pool: [UInt8], starts: [Int32], scores: [Float], types: [PieceType]) {
            assert(starts.count == types.count + 1 && scores.count == types.count)
            self.pool = pool
            self.starts = starts
            self.scores = scores
            self.types = types
        }

        /// A store of pieces made in memory (they are kept as given).
        convenience init(pieces: [Piece]) {
            var pool: [UInt8] = [], starts: [Int32] = [0]
            pool.reserveCapacity(pieces.count * 8); starts.reserveCapacity(pieces.count + 1)
            for p in pieces {
                pool.append(contentsOf: p.piece.utf8)
                starts.append(Int32(pool.count))
            }
            self.init(pool: pool, starts: starts, scores: pieces.map(\.score), types: pieces.map(\.type))
            materialized.withLock { $0 = pieces }
        }

        /// The UTF-8 bytes of piece `id`.
        @inline(__always)
        func bytes(_ id: Int) -> ArraySlice<UInt8> { pool[Int(starts[id])..<Int(starts[id + 1])] }

        /// The text of piece `id`.
        func text(_ id: Int) -> String { String(decoding: bytes(id), as: UTF8.self) }

        /// Every piece's text, made once.
        var pieceTexts: [String] {
            texts.withLock { cached in
                if let cached { return cached }
                let made = (0..<count).map { text($0) }
                cached = made
                return made
            }
        }

        /// Every piece, made once.
        var pieces: [Piece] {
            materialized.withLock { cached in
                if let cached { return cached }
                let made = (0..<count).map { Piece(piece: text($0), score: scores[$0], type: types[$0]) }
                cached = made
                return made
            }
        }
    }
}
