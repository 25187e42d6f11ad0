/// Unicode character data from the system ICU.
package enum UnicodeNames {
    /// The Unicode name of `scalar` (e.g. "HANGUL LETTER KIYEOK-SIOS"), or nil when it has
    /// none (controls, unassigned code points).
    package static func name(of scalar: Unicode.Scalar) -> String? {
        ICU.name(of: scalar.value)
    }

    /// ICU's script code (`UScriptCode`) of `scalar`: 0 Common, 1 Inherited, 17 Han,
    /// 18 Hangul, 20 Hiragana, 22 Katakana, 25 Latin, 103 Unknown…
    package static func script(of scalar: Unicode.Scalar) -> Int32 { ICU.script(scalar.value) }
}

/// The system ICU that Tokki's normalization runs on. Normalized text (and so token ids)
/// can change between ICU versions: record these next to datasets you build.
public enum SystemICU {
    /// The version of the system ICU library, e.g. "72.1".
    public static var version: String { ICU.version }

    /// The Unicode version of the system ICU, e.g. "15.0".
    public static var unicodeVersion: String { ICU.unicodeVersion }
}
