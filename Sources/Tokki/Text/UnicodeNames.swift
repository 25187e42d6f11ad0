/// Unicode character data from the system ICU.
public enum UnicodeNames {
    /// The Unicode name of `scalar` (e.g. "HANGUL LETTER KIYEOK-SIOS"), or nil when it has
    /// none (controls, unassigned code points).
    public static func name(of scalar: Unicode.Scalar) -> String? {
        ICU.name(of: scalar.value)
    }

    /// The version of the system ICU library, e.g. "72.1".
    public static var icuVersion: String { ICU.version }

    /// The Unicode version of the system ICU, e.g. "15.0".
    public static var unicodeVersion: String { ICU.unicodeVersion }

    /// ICU's script code (`UScriptCode`) of `scalar`: 0 Common, 1 Inherited, 17 Han,
    /// 18 Hangul, 20 Hiragana, 22 Katakana, 25 Latin, 103 Unknown…
    public static func script(of scalar: Unicode.Scalar) -> Int32 { ICU.script(scalar.value) }
}
