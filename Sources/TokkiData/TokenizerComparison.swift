import Tokki

/// How several tokenizers fit one corpus, side by side: what people look at to choose a
/// tokenizer for Korean (``tokki compare``).
///
/// Per tokenizer: tokens per character (Unicode scalars, line ends excluded), per eojeol
/// (a run without space or tab) and per word (a run of letters, digits and combining marks:
/// punctuation and symbols are not words), the share of unknown tokens, of byte-fallback
/// tokens (`<0xNN>` pieces) and of tokens that are not whole characters (a byte-level token
/// holding part of a character's UTF-8), how much of the vocabulary the corpus uses, and the
/// frequent eojeols each tokenizer splits most.
///
/// ```swift
/// var comparison = TokenizerComparison(tokenizers: [("ko", ko), ("llama", llama)])
/// for line in lines { try comparison.add(line) }
/// let report = try comparison.report(mostSplit: 20)
/// print(report.table); let page = report.html(title: "Korean statutes")
/// ```
///
/// Adding lines is not thread-safe; for many cores add lines to one comparison per thread and
/// ``merge(_:)`` them. The result does not depend on how lines were split, except for the
/// most-split lists once more than ``eojeolTableLimit`` distinct eojeols were seen (rare
/// eojeols are then dropped from the frequency table).
public struct TokenizerComparison {
    /// One tokenizer's running counts.
    struct Counts: Sendable {
        var tokens = 0
        var perID: [Int32]
        init(size: Int) { perID = [Int32](repeating: 0, count: size) }
    }

    /// The tokenizers, with their names.
    public let tokenizers: [(name: String, tokenizer: any Tokenizer)]
    /// The frequent eojeols kept for the most-split lists (the counts are exact for an
    /// eojeol while it is kept; rare ones are dropped when the table fills).
    public let eojeolTableLimit: Int
    private var counts: [Counts]
    private(set) var lines = 0, characters = 0, eojeols = 0, words = 0, bytes = 0
    private var eojeolCounts: [[UInt8]: Int] = [:]
    private var encoders: [TokenIDEncoder]

    /// A comparison of `tokenizers` (each with a display name).
    public init(tokenizers: [(name: String, tokenizer: any Tokenizer)], eojeolTableLimit: Int = 200_000) {
        self.tokenizers = tokenizers
        self.eojeolTableLimit = max(1000, eojeolTableLimit)
        counts = tokenizers.map { Counts(size: $0.tokenizer.vocabularySize) }
        encoders = tokenizers.map { $0.tokenizer.makeIDEncoder() }
    }

    /// Adds one line (well-formed UTF-8, without its line end).
    ///
    /// - Throws: the tokenizers' errors.
    public mutating func add(_ line: UnsafeBufferPointer<UInt8>) throws(TokkiError) {
        lines += 1
        bytes += line.count
        var c = 0, e = 0, w = 0
        var seen: [[UInt8]] = []
        Self.countText(line, characters: &c, eojeols: &e, words: &w) { eojeol in
            if eojeol.count <= 64 { seen.append(Array(eojeol)) }
        }
        characters += c; eojeols += e; words += w
        for eojeol in seen {
            if let n = eojeolCounts[eojeol] {
                eojeolCounts[eojeol] = n + 1
            } else {
                if eojeolCounts.count >= eojeolTableLimit { pruneEojeols() }
                eojeolCounts[eojeol] = 1
            }
        }
        for k in tokenizers.indices {
            try encoders[k].encode(line)
            let ids = encoders[k].ids
            counts[k].tokens += ids.count
            counts[k].perID.withUnsafeMutableBufferPointer { per in
                for id in ids where id >= 0 && Int(id) < per.count { per[Int(id)] &+= 1 }
            }
        }
    }

    /// Adds one line given as bytes.
    public mutating func add(_ line: [UInt8]) throws(TokkiError) {
        try line.withUnsafeBufferPointer { (b) throws(TokkiError) in try add(b) }
    }

    /// Adds the counts of `other` (the same tokenizers, in the same order).
    public mutating func merge(_ other: TokenizerComparison) {
        lines += other.lines; characters += other.characters; eojeols += other.eojeols; words += other.words; bytes += other.bytes
        for k in counts.indices where k < other.counts.count {
            counts[k].tokens += other.counts[k].tokens
            for (i, c) in other.counts[k].perID.enumerated() where c != 0 { counts[k].perID[i] &+= c }
        }
        for (e, n) in other.eojeolCounts {
            if eojeolCounts[e] == nil && eojeolCounts.count >= eojeolTableLimit { pruneEojeols() }
            eojeolCounts[e, default: 0] += n
        }
    }

    /// Drops the eojeols seen once (then twice, …) until the table is three-quarters full.
    private mutating func pruneEojeols() {
        var floor = 1
        while eojeolCounts.count > eojeolTableLimit * 3 / 4 {
            eojeolCounts = eojeolCounts.filter { $0.value > floor }
            floor += 1
        }
    }

    /// Characters, eojeols and words of `line`; `eojeol` is called with each eojeol.
    static func countText(_ line: UnsafeBufferPointer<UInt8>, characters: inout Int, eojeols: inout Int, words: inout Int,
                          eojeol: (UnsafeBufferPointer<UInt8>) -> Void) {
        var i = 0
        let n = line.count
        var eojeolStart = -1
        var inWord = false
        while i < n {
            let b = line[i]
            let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
            characters += 1
            let separator = b == 0x20 || b == 0x09
            if separator {
                if eojeolStart >= 0 { eojeol(UnsafeBufferPointer(rebasing: line[eojeolStart..<i])); eojeolStart = -1 }
            } else if eojeolStart < 0 {
                eojeolStart = i
                eojeols += 1
            }
            // Word characters: letters, digits and marks (decoded only for non-ASCII bytes).
            let isWord: Bool
            if b < 0x80 {
                isWord = (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
            } else {
                var v: UInt32 = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                var k = 1
                while k < length && i + k < n { v = v << 6 | UInt32(line[i + k] & 0x3F); k += 1 }
                if let s = Unicode.Scalar(v) {
                    let p = s.properties
                    isWord = p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark || p.generalCategory == .spacingMark
                } else {
                    isWord = false
                }
            }
            if isWord && !inWord { words += 1 }
            inWord = isWord
            i += min(length, n - i)
        }
        if eojeolStart >= 0 { eojeol(UnsafeBufferPointer(rebasing: line[eojeolStart..<n])) }
    }

    /// The report: every metric per tokenizer and the `mostSplit` frequent eojeols each
    /// splits into the most tokens (among the 2,000 most frequent eojeols).
    public func report(mostSplit: Int = 20) throws(TokkiError) -> TokenizerComparisonReport {
        let frequent = eojeolCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.lexicographicallyPrecedes($1.key) }
            .prefix(2000)
        var models: [TokenizerComparisonReport.Model] = []
        for (k, entry) in tokenizers.enumerated() {
            let t = entry.tokenizer
            let per = counts[k].perID
            let unknownID = t.specialTokenRoles.unknown
            var unknown = 0, byteFallback = 0, partial = 0, used = 0
            for (id, c) in per.enumerated() where c > 0 {
                used += 1
                if id == unknownID { unknown += Int(c); continue }
                guard let piece = t.token(for: id) else { continue }
                if Self.isBytePiece(piece) { byteFallback += Int(c); continue }
                // A token that is not whole characters decodes to U+FFFD (so would a token of
                // U+FFFD itself, which vocabularies rarely have).
                if let text = try? t.decode([id], skipSpecialTokens: false), text.unicodeScalars.contains("\u{FFFD}") {
                    partial += Int(c)
                }
            }
            var split: [TokenizerComparisonReport.SplitEojeol] = []
            let encoder = t.makeEncoder()
            for (e, n) in frequent {
                let encoding = try e.withUnsafeBufferPointer { (b) throws(TokkiError) in try encoder.encode(b) }
                split.append(.init(text: String(decoding: e, as: UTF8.self), count: n, pieces: encoding.pieces))
            }
            split.sort { $0.pieces.count != $1.pieces.count ? $0.pieces.count > $1.pieces.count : $0.count > $1.count }
            models.append(.init(name: entry.name, vocabularySize: t.vocabularySize, tokens: counts[k].tokens, unknown: unknown,
                                byteFallback: byteFallback, partialCharacter: partial, vocabularyUsed: used,
                                mostSplit: Array(split.prefix(mostSplit))))
        }
        return TokenizerComparisonReport(lines: lines, bytes: bytes, characters: characters, eojeols: eojeols, words: words, models: models)
    }

    /// `<0xNN>`: a SentencePiece byte-fallback piece.
    static func isBytePiece(_ s: String) -> Bool {
        let b = Array(s.utf8)
        let hex: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) }
        return b.count == 6 && b.starts(with: [0x3C, 0x30, 0x78]) && b[5] == 0x3E && hex(b[3]) && hex(b[4])
    }
}

/// The numbers of a ``TokenizerComparison``, as a terminal table, JSON or an HTML page.
public struct TokenizerComparisonReport: Sendable, Equatable {
    /// A frequent eojeol and how a tokenizer splits it.
    public struct SplitEojeol: Sendable, Equatable {
        /// The eojeol.
        public var text: String
        /// How often it occurs.
        public var count: Int
        /// Its tokens (encoded alone).
        public var pieces: [String]
    }

    /// One tokenizer's numbers.
    public struct Model: Sendable, Equatable {
        /// The display name.
        public var name: String
        /// The vocabulary size.
        public var vocabularySize: Int
        /// Tokens over the corpus.
        public var tokens: Int
        /// Unknown tokens.
        public var unknown: Int
        /// Byte-fallback tokens (`<0xNN>`).
        public var byteFallback: Int
        /// Tokens that hold part of a character (byte-level vocabularies).
        public var partialCharacter: Int
        /// Distinct ids used.
        public var vocabularyUsed: Int
        /// The frequent eojeols split into the most tokens.
        public var mostSplit: [SplitEojeol]
    }

    /// Lines read.
    public var lines: Int
    /// Bytes of text (line ends excluded).
    public var bytes: Int
    /// Characters (Unicode scalars).
    public var characters: Int
    /// Eojeols (runs without space or tab).
    public var eojeols: Int
    /// Words (runs of letters, digits and marks).
    public var words: Int
    /// The tokenizers, in the order given.
    public var models: [Model]

    /// `a / b`, or 0 when `b` is 0.
    static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    /// The metrics shown for each model: name, value, how to print it.
    public var metrics: [(name: String, values: [Double], percent: Bool)] {
        [
            ("tokens per character", models.map { Self.ratio($0.tokens, characters) }, false),
            ("tokens per eojeol", models.map { Self.ratio($0.tokens, eojeols) }, false),
            ("tokens per word", models.map { Self.ratio($0.tokens, words) }, false),
            ("unknown tokens", models.map { Self.ratio($0.unknown, $0.tokens) }, true),
            ("byte-fallback tokens", models.map { Self.ratio($0.byteFallback, $0.tokens) }, true),
            ("partial-character tokens", models.map { Self.ratio($0.partialCharacter, $0.tokens) }, true),
            ("vocabulary used", models.map { Self.ratio($0.vocabularyUsed, $0.vocabularySize) }, true),
        ]
    }

    static func format(_ v: Double, percent: Bool) -> String {
        if percent { return fixed(v * 100, 2) + "%" }
        return fixed(v, 4)
    }

    /// `v` with `digits` decimals (no Foundation).
    package static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "n/a" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (abs(v) * scale).rounded()
        let whole = Int(r / scale), frac = Int(r - Double(whole) * scale)
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return (v < 0 && r > 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + f : "")
    }

    /// A plain-text table, one column per tokenizer, then each tokenizer's most split eojeols.
    public var table: String {
        var rows: [[String]] = [["", ] + models.map(\.name)]
        rows.append(["vocabulary size"] + models.map { String($0.vocabularySize) })
        rows.append(["tokens"] + models.map { String($0.tokens) })
        for m in metrics { rows.append([m.name] + m.values.map { Self.format($0, percent: m.percent) }) }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for r in rows { for (k, c) in r.enumerated() { widths[k] = max(widths[k], c.count) } }
        var out = "\(lines) lines, \(characters) characters, \(eojeols) eojeols, \(words) words\n\n"
        for r in rows {
            var line = ""
            for (k, c) in r.enumerated() {
                let pad = String(repeating: " ", count: widths[k] - c.count)
                line += k == 0 ? c + pad : "  " + pad + c
            }
            out += line + "\n"
        }
        for m in models where !m.mostSplit.isEmpty {
            out += "\nmost split frequent eojeols, \(m.name):\n"
            for s in m.mostSplit { out += "  \(s.text) (\(s.count)×): \(s.pieces.count) tokens: \(s.pieces.joined(separator: " | "))\n" }
        }
        return out
    }

    /// The report as JSON.
    public var json: [UInt8] {
        var w = JSONWriter()
        w.object { o in
            o.member("lines") { $0.integer(lines) }
            o.member("bytes") { $0.integer(bytes) }
            o.member("characters") { $0.integer(characters) }
            o.member("eojeols") { $0.integer(eojeols) }
            o.member("words") { $0.integer(words) }
            o.member("models") { w in
                w.array(models) { w, m in
                    w.object { o in
                        o.member("name") { $0.string(m.name) }
                        o.member("vocabulary_size") { $0.integer(m.vocabularySize) }
                        o.member("tokens") { $0.integer(m.tokens) }
                        o.member("tokens_per_character") { $0.decimal(Self.ratio(m.tokens, characters)) }
                        o.member("tokens_per_eojeol") { $0.decimal(Self.ratio(m.tokens, eojeols)) }
                        o.member("tokens_per_word") { $0.decimal(Self.ratio(m.tokens, words)) }
                        o.member("unknown_tokens") { $0.integer(m.unknown) }
                        o.member("byte_fallback_tokens") { $0.integer(m.byteFallback) }
                        o.member("partial_character_tokens") { $0.integer(m.partialCharacter) }
                        o.member("vocabulary_used") { $0.integer(m.vocabularyUsed) }
                        o.member("most_split") { w in
                            w.array(m.mostSplit) { w, s in
                                w.object { o in
                                    o.member("text") { $0.string(s.text) }
                                    o.member("count") { $0.integer(s.count) }
                                    o.member("pieces") { w in w.array(s.pieces) { $0.string($1) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        return w.bytes + [0x0A]
    }

    /// Escapes text for HTML.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A self-contained HTML page (no network): one SVG bar chart per metric, the table, and
    /// the most split eojeols. A small script marks, once the page is laid out, how many bars
    /// have a drawn width (`data-bars-drawn` on `<body>`), so a headless browser can check that
    /// the charts render.
    public func html(title: String = "Tokenizer comparison") -> String {
        let colours = ["#2f6fb0", "#d9822b", "#3a9a5b", "#b03a48", "#7a5bb0", "#6b7b8c", "#c0a020", "#2aa5a5"]
        var h = """
        <!DOCTYPE html>
        <html lang="ko"><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
        <style>
        body{font-family:system-ui,"Noto Sans CJK KR",sans-serif;margin:24px;color:#222;max-width:1100px}
        h1{font-size:22px} h2{font-size:17px;margin-top:28px}
        .charts{display:flex;flex-wrap:wrap;gap:18px}
        .chart{border:1px solid #ddd;border-radius:6px;padding:8px 10px;background:#fafafa}
        .chart h3{font-size:13px;margin:0 0 4px 0;font-weight:600}
        table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
        td:first-child,th:first-child{text-align:left} .pieces{font-family:monospace;text-align:left}
        .legend span{display:inline-block;margin-right:14px;font-size:13px} .legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
        </style></head>
        <body data-bars-drawn="0">
        <h1>\(Self.escape(title))</h1>
        <p>\(lines) lines, \(characters) characters, \(eojeols) eojeols, \(words) words.</p>
        <div class="legend">
        """
        for (k, m) in models.enumerated() {
            h += "<span><i style=\"background:\(colours[k % colours.count])\"></i>\(Self.escape(m.name))</span>"
        }
        h += "</div>\n<div class=\"charts\">\n"
        let barHeight = 22, labelWidth = 150, chartWidth = 330
        for metric in metrics {
            let maxValue = max(metric.values.max() ?? 0, 1e-12)
            let height = models.count * (barHeight + 6) + 6
            h += "<div class=\"chart\"><h3>\(Self.escape(metric.name))</h3>"
            h += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + chartWidth + 70)\" height=\(height) role=\"img\" aria-label=\"\(Self.escape(metric.name))\">"
            for (k, v) in metric.values.enumerated() {
                let y = 6 + k * (barHeight + 6)
                let w = v > 0 ? max(1, Int((v / maxValue) * Double(chartWidth))) : 0
                h += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\" font-size=\"12\">\(Self.escape(models[k].name))</text>"
                h += "<rect class=\"bar\" x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(w)\" height=\"\(barHeight)\" fill=\"\(colours[k % colours.count])\"><title>\(Self.escape(Self.format(v, percent: metric.percent)))</title></rect>"
                h += "<text x=\"\(labelWidth + w + 5)\" y=\"\(y + 15)\" font-size=\"12\">\(Self.escape(Self.format(v, percent: metric.percent)))</text>"
            }
            h += "</svg></div>\n"
        }
        h += "</div>\n<h2>All numbers</h2>\n<table><tr><th></th>"
        for m in models { h += "<th>\(Self.escape(m.name))</th>" }
        h += "</tr>\n<tr><td>vocabulary size</td>" + models.map { "<td>\($0.vocabularySize)</td>" }.joined() + "</tr>\n"
        h += "<tr><td>tokens</td>" + models.map { "<td>\($0.tokens)</td>" }.joined() + "</tr>\n"
        for metric in metrics {
            h += "<tr><td>\(Self.escape(metric.name))</td>" + metric.values.map { "<td>\(Self.format($0, percent: metric.percent))</td>" }.joined() + "</tr>\n"
        }
        h += "</table>\n"
        for m in models where !m.mostSplit.isEmpty {
            h += "<h2>Most split frequent eojeols: \(Self.escape(m.name))</h2>\n<table><tr><th>eojeol</th><th>count</th><th>tokens</th><th>pieces</th></tr>\n"
            for s in m.mostSplit {
                h += "<tr><td>\(Self.escape(s.text))</td><td>\(s.count)</td><td>\(s.pieces.count)</td><td class=\"pieces\">\(Self.escape(s.pieces.joined(separator: " | ")))</td></tr>\n"
            }
            h += "</table>\n"
        }
        h += """
        <script>
        window.addEventListener("load", function () {
          var drawn = 0;
          document.querySelectorAll("rect.bar").forEach(function (r) { if (r.getBBox().width > 0 && r.getBoundingClientRect().height > 0) drawn++; });
          document.body.setAttribute("data-bars-drawn", String(drawn));
        });
        </script>
        </body></html>

        """
        return h
    }
}
