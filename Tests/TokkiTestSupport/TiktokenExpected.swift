import Foundation

/// Expected ids from the `tiktoken` package (`scripts/fixtures/make_tiktoken_fixtures.py`).
package struct TiktokenExpected: Decodable {
    package struct Case: Decodable { package let name: String; package let ids: [Int]; package let decoded: String }
    package let tiktoken_version: String
    package let pattern: String
    package let cases: [Case]
}
