import Tokki

/// What one document contributes to a ``CorpusProfile``: computed on any thread
/// (``CorpusProfile/facts(_:source:pipeline:tokenCount:)``), added in input order.
public struct DocumentFacts: Sendable {
    /// Characters (Unicode scalars).
    public var characters: Int
    /// Hangul syllables and jamo over letters (nil without letters).
    public var hangulRatio: Double?
    /// Characters by class: Hangul, Han, Latin, other letters, digits, punctuation, symbols,
    /// white space, controls and U+FFFD.
    public var classes: [Int]
    /// The share of characters in lines that occur more than once in the document.
    public var duplicateLineFraction: Double
    /// The first quality rule that would remove the document (``QualityPipeline``), or nil.
    public var rejection: Rejection?
    /// Tokens, when a model is given.
    public var tokens: Int?
    /// The exact-duplicate key.
    public var hash: Hash128
    /// Where the document came from (the file, or the source field).
    public var source: String
    /// The text, for samples.
    public var text: [UInt8]
}

/// A corpus profile (``tokki profile``): distributions of length, Hangul ratio, repetition and
/// tokens; the script mix; how many documents each quality rule of `tokki clean` would remove,
/// with samples of kept and removed documents for review; exact duplicates per source.
///
/// Add documents in input order (``add(_:)``); the facts of a document can be computed on
/// any thread first. Samples are the first documents of each kind in input order, so the
/// profile does not depend on threads.
public struct CorpusProfile: Sendable {
    /// The names of ``DocumentFacts/classes``, in order.
    public static let classNames = ["hangul", "han", "latin", "other_letters", "digits", "punctuation", "symbols", "spaces",
                                    "controls", "replacement_characters"]
    /// Upper bounds of the length histogram (characters); the last bin is open.
    public static let lengthBins = [10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000]
    /// Upper bounds of the token histogram; the last bin is open.
    public static let tokenBins = [10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000]

    /// A histogram: counts per bin, with the bins' labels.
    public struct Histogram: Sendable, Equatable {
        /// Bin labels (`"≤10"`, `"0.0–0.1"`, …).
        public var labels: [String]
        /// Documents per bin.
        public var counts: [Int]
    }

    /// Per-source counts.
    public struct SourceCounts: Sendable, Equatable {
        /// Documents.
        public var documents = 0
        /// Documents identical to an earlier one (anywhere in the corpus).
        public var duplicates = 0
        /// Documents a quality rule would remove.
        public var removed = 0
        /// Characters.
        public var characters = 0
    }

    /// Documents added.
    public private(set) var documents = 0
    /// Characters over all documents.
    public private(set) var characters = 0
    /// Tokens over all documents (when a model counted them).
    public private(set) var tokens = 0
    /// Whether tokens were counted.
    public private(set) var hasTokens = false
    /// Documents per length bin (``lengthBins`` + 1 bins).
    public private(set) var lengthCounts = [Int](repeating: 0, count: CorpusProfile.lengthBins.count + 1)
    /// Documents per Hangul-ratio tenth (10 bins) and, last, documents without letters.
    public private(set) var hangulCounts = [Int](repeating: 0, count: 11)
    /// Documents per duplicate-line-fraction tenth.
    public private(set) var repetitionCounts = [Int](repeating: 0, count: 10)
    /// Documents per token bin.
    public private(set) var tokenCounts = [Int](repeating: 0, count: CorpusProfile.tokenBins.count + 1)
    /// Characters per class (``classNames``).
    public private(set) var classCounts = [Int](repeating: 0, count: CorpusProfile.classNames.count)
    /// Documents each rule would remove (the first rule that does).
    public private(set) var ruleHits: [String: Int] = [:]
    /// Documents no rule removes.
    public private(set) var kept = 0
    /// Per source, in order of first appearance.
    public private(set) var sources: [(name: String, counts: SourceCounts)] = []
    private var sourceIndex: [String: Int] = [:]
    /// Records that were not documents (invalid UTF-8, invalid JSON, a missing field), by rule.
    public var unreadable: [String: Int] = [:]
    /// The first documents of each rule (removed) and of the kept ones.
    public private(set) var samples: [String: [(source: String, text: String, detail: String)]] = [:]
    /// Samples kept per rule.
    public let samplesPerRule: Int
    private var seen = Set<Hash128>()
    /// Exact duplicates over the corpus.
    public private(set) var duplicates = 0

    /// An empty profile keeping `samplesPerRule` sample documents per rule (and kept).
    public init(samplesPerRule: Int = 5) { self.samplesPerRule = max(0, samplesPerRule) }

    /// The facts of one document (well-formed UTF-8): `pipeline` decides the rule hits,
    /// `tokenCount` (optional) counts tokens.
    public static func facts(_ text: [UInt8], source: String, pipeline: QualityPipeline,
                             tokenCount: ((([UInt8]) -> Int?))? = nil) -> DocumentFacts {
        let p = TextProfile(text)
        var classes = [Int](repeating: 0, count: classNames.count)
        var spaces = 0
        for s in p.scalars where s.properties.isWhitespace { spaces += 1 }
        classes[0] = p.hangul; classes[1] = p.han; classes[2] = p.latin; classes[3] = p.otherLetters
        classes[4] = p.digits; classes[5] = p.punctuation; classes[6] = p.symbols; classes[7] = spaces
        classes[8] = p.controls; classes[9] = p.replacements
        // Characters in lines that occur more than once (empty lines aside).
        var lineCounts: [Substring: Int] = [:]
        let lines = p.lines.map { r in Substring(String(String.UnicodeScalarView(p.scalars[r]))) }
        for l in lines where !l.isEmpty { lineCounts[l, default: 0] += 1 }
        var duplicated = 0, total = 0
        for l in lines where !l.isEmpty {
            total += l.unicodeScalars.count
            if (lineCounts[l] ?? 0) > 1 { duplicated += l.unicodeScalars.count }
        }
        var rejection: Rejection? = nil
        for f in pipeline.filters { if let r = f.evaluate(p) { rejection = r; break } }
        return DocumentFacts(characters: p.scalars.count, hangulRatio: p.letters > 0 ? Double(p.hangul) / Double(p.letters) : nil,
                             classes: classes, duplicateLineFraction: total > 0 ? Double(duplicated) / Double(total) : 0,
                             rejection: rejection, tokens: tokenCount?(text), hash: Hash128(text), source: source, text: text)
    }

    static func bin(_ value: Int, _ bounds: [Int]) -> Int {
        for (k, b) in bounds.enumerated() where value <= b { return k }
        return bounds.count
    }

    static func tenth(_ x: Double) -> Int { min(9, max(0, Int(x * 10))) }

    /// Adds one document's facts (in input order).
    public mutating func add(_ f: DocumentFacts) {
        documents += 1
        characters += f.characters
        lengthCounts[Self.bin(f.characters, Self.lengthBins)] += 1
        if let r = f.hangulRatio { hangulCounts[Self.tenth(r)] += 1 } else { hangulCounts[10] += 1 }
        repetitionCounts[Self.tenth(f.duplicateLineFraction)] += 1
        if let t = f.tokens {
            hasTokens = true
            tokens += t
            tokenCounts[Self.bin(t, Self.tokenBins)] += 1
        }
        for (k, c) in f.classes.enumerated() { classCounts[k] += c }
        let s: Int
        if let i = sourceIndex[f.source] { s = i } else {
            s = sources.count
            sourceIndex[f.source] = s
            sources.append((f.source, SourceCounts()))
        }
        sources[s].counts.documents += 1
        sources[s].counts.characters += f.characters
        if !seen.insert(f.hash).inserted {
            duplicates += 1
            sources[s].counts.duplicates += 1
        }
        let rule = f.rejection?.rule ?? "kept"
        if let r = f.rejection {
            ruleHits[r.rule, default: 0] += 1
            sources[s].counts.removed += 1
        } else {
            kept += 1
        }
        if samples[rule, default: []].count < samplesPerRule {
            let text = String(decoding: f.text.prefix(600), as: UTF8.self)
            samples[rule, default: []].append((f.source, text, f.rejection?.detail ?? ""))
        }
    }

    /// The histograms: length, Hangul ratio, repetition and (when counted) tokens.
    public var histograms: [(name: String, histogram: Histogram)] {
        func open(_ bounds: [Int]) -> [String] { bounds.map { "≤\($0)" } + [">\(bounds.last ?? 0)"] }
        let tenths = (0..<10).map { k in "\(TokenizerComparisonReport.fixed(Double(k) / 10, 1))–\(TokenizerComparisonReport.fixed(Double(k + 1) / 10, 1))" }
        var out: [(String, Histogram)] = [
            ("length (characters)", Histogram(labels: open(Self.lengthBins), counts: lengthCounts)),
            ("Hangul ratio (of letters)", Histogram(labels: tenths + ["no letters"], counts: hangulCounts)),
            ("duplicate-line fraction", Histogram(labels: tenths, counts: repetitionCounts)),
        ]
        if hasTokens { out.append(("tokens", Histogram(labels: open(Self.tokenBins), counts: tokenCounts))) }
        return out
    }

    /// The profile as JSON.
    public var json: [UInt8] {
        var w = JSONWriter()
        w.object { o in
            o.member("documents") { $0.integer(documents) }
            o.member("characters") { $0.integer(characters) }
            if hasTokens { o.member("tokens") { $0.integer(tokens) } }
            o.member("kept") { $0.integer(kept) }
            o.member("exact_duplicates") { $0.integer(duplicates) }
            o.member("unreadable") { w in w.object { o in for (k, v) in unreadable.sorted(by: { $0.key < $1.key }) { o.member(k) { $0.integer(v) } } } }
            o.member("rule_hits") { w in w.object { o in for (k, v) in ruleHits.sorted(by: { $0.key < $1.key }) { o.member(k) { $0.integer(v) } } } }
            o.member("script_mix") { w in
                w.object { o in for (k, name) in Self.classNames.enumerated() { o.member(name) { $0.integer(classCounts[k]) } } }
            }
            o.member("histograms") { w in
                w.object { o in
                    for (name, h) in histograms {
                        o.member(name) { w in
                            w.object { o in
                                o.member("labels") { w in w.array(h.labels) { $0.string($1) } }
                                o.member("counts") { w in w.array(h.counts) { $0.integer($1) } }
                            }
                        }
                    }
                }
            }
            o.member("sources") { w in
                w.array(sources) { w, s in
                    w.object { o in
                        o.member("source") { $0.string(s.name) }
                        o.member("documents") { $0.integer(s.counts.documents) }
                        o.member("characters") { $0.integer(s.counts.characters) }
                        o.member("exact_duplicates") { $0.integer(s.counts.duplicates) }
                        o.member("removed_by_rules") { $0.integer(s.counts.removed) }
                    }
                }
            }
            o.member("samples") { w in
                w.object { o in
                    for (rule, list) in samples.sorted(by: { $0.key < $1.key }) {
                        o.member(rule) { w in
                            w.array(list) { w, s in
                                w.object { o in
                                    o.member("source") { $0.string(s.source) }
                                    o.member("detail") { $0.string(s.detail) }
                                    o.member("text") { $0.string(s.text) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return w.bytes + [0x0A]
    }

    /// A short plain-text summary.
    public var summary: String {
        var s = "\(documents) documents, \(characters) characters"
        if hasTokens { s += ", \(tokens) tokens" }
        s += "; \(kept) kept by every rule, \(duplicates) exact duplicates\n"
        for (rule, n) in ruleHits.sorted(by: { $0.value > $1.value }) { s += "  \(rule): \(n)\n" }
        for (k, v) in unreadable.sorted(by: { $0.key < $1.key }) { s += "  unreadable (\(k)): \(v)\n" }
        return s
    }

    /// A self-contained HTML page: histograms and the script mix as SVG bar charts, rule hits,
    /// sources, and the sample documents per rule for review. Like the comparison report,
    /// `data-bars-drawn` on `<body>` counts the bars laid out with a width once loaded.
    public func html(title: String = "Corpus profile") -> String {
        let esc = TokenizerComparisonReport.escape
        var h = """
        <!DOCTYPE html>
        <html lang="ko"><head><meta charset="utf-8"><title>\(esc(title))</title>
        <style>
        body{font-family:system-ui,"Noto Sans CJK KR",sans-serif;margin:24px;color:#222;max-width:1100px}
        h1{font-size:22px} h2{font-size:17px;margin-top:28px}
        .charts{display:flex;flex-wrap:wrap;gap:18px}
        .chart{border:1px solid #ddd;border-radius:6px;padding:8px 10px;background:#fafafa}
        .chart h3{font-size:13px;margin:0 0 4px 0;font-weight:600}
        table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
        td:first-child,th:first-child{text-align:left} td.text{text-align:left;white-space:pre-wrap;max-width:700px}
        </style></head>
        <body data-bars-drawn="0">
        <h1>\(esc(title))</h1>
        <p>\(esc(summary.split(separator: "\n").first.map(String.init) ?? ""))</p>
        <div class="charts">
        """
        func chart(_ name: String, _ labels: [String], _ values: [Int], colour: String) {
            let maxValue = max(values.max() ?? 0, 1)
            let barHeight = 18, labelWidth = 160, width = 280
            h += "<div class=\"chart\"><h3>\(esc(name))</h3><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + width + 70)\" height=\"\(values.count * (barHeight + 4) + 4)\">"
            for (k, v) in values.enumerated() {
                let y = 4 + k * (barHeight + 4)
                let w = v > 0 ? max(1, v * width / maxValue) : 0
                h += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 13)\" text-anchor=\"end\" font-size=\"11\">\(esc(labels[k]))</text>"
                h += "<rect class=\"bar\" x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(w)\" height=\"\(barHeight)\" fill=\"\(colour)\"><title>\(v)</title></rect>"
                h += "<text x=\"\(labelWidth + w + 4)\" y=\"\(y + 13)\" font-size=\"11\">\(v)</text>"
            }
            h += "</svg></div>\n"
        }
        let palette = ["#2f6fb0", "#d9822b", "#3a9a5b", "#7a5bb0", "#b03a48"]
        for (k, (name, hist)) in histograms.enumerated() { chart(name, hist.labels, hist.counts, colour: palette[k % palette.count]) }
        chart("script mix (characters)", Self.classNames, classCounts, colour: "#6b7b8c")
        let rules = ruleHits.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        chart("documents removed by rule", ["kept"] + rules.map(\.key), [kept] + rules.map(\.value), colour: "#c0a020")
        h += "</div>\n<h2>Sources</h2>\n<table><tr><th>source</th><th>documents</th><th>characters</th><th>exact duplicates</th><th>removed by rules</th></tr>\n"
        for s in sources {
            h += "<tr><td>\(esc(s.name))</td><td>\(s.counts.documents)</td><td>\(s.counts.characters)</td><td>\(s.counts.duplicates)</td><td>\(s.counts.removed)</td></tr>\n"
        }
        h += "</table>\n"
        for (rule, list) in samples.sorted(by: { $0.key == "kept" ? false : $1.key == "kept" ? true : $0.key < $1.key }) {
            h += "<h2>\(rule == "kept" ? "Kept documents" : "Removed by \(esc(rule))") (first \(list.count))</h2>\n<table><tr><th>source</th><th>why</th><th>text</th></tr>\n"
            for s in list { h += "<tr><td>\(esc(s.source))</td><td>\(esc(s.detail))</td><td class=\"text\">\(esc(s.text))</td></tr>\n" }
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
