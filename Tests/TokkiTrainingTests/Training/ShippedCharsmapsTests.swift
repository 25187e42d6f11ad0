import Foundation
import Testing
@testable import Tokki
@testable import TokkiTraining
import TokkiTestSupport

@Suite("Shipped charsmaps")
struct ShippedCharsmapsTests {
    /// The embedded charsmaps are what the compiler builds from ICU (checked when the system ICU
    /// is the version they were made with; scripts/fixtures/make_charsmaps.sh regenerates them).
    @Test(.enabled(if: SystemICU.version == ShippedCharsmaps.icuVersion, "the system ICU is not the version the charsmaps were made with"),
          arguments: [TrainingNormalization.korean, .nfkc, .nmtNFKC])
    func equalAFreshCompile(_ normalization: TrainingNormalization) throws {
        let shipped = try #require(ShippedCharsmaps.blob(normalization))
        #expect(shipped.count > 100_000)
        #expect(try CharsmapCompiler.compileFromICU(normalization) == shipped)
        #expect(try CharsmapCompiler.compile(normalization) == shipped)
        #expect(ShippedCharsmaps.blob(.identity) == nil)
    }
}
