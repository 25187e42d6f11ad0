import Foundation
import Tokki

extension VocabularyExtender {
    /// Extends a SentencePiece unigram model.
    func extend(sentencePieceUnigram model: SentencePieceModel, path: String, corpus: CorpusOptions,
                progress: (@Sendable (String, Double) -> Void)?) throws(TrainingError) -> Result {
        throw .cannotExtend(path: path, reason: "unigram: not yet")
    }
}
