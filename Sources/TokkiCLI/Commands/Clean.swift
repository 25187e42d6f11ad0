import ArgumentParser
import Dispatch
import Foundation
import Tokki
import TokkiData

/// `tokki clean`: quality filters.
struct Clean: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove low-quality documents: length, script mix, symbols, repetition, boilerplate, broken text, block list.",
        discussion: """
        Reads documents (one per line, or the --text-field of JSONL lines) and writes
        the kept ones unchanged, in order, to --output (default: stdout). Every removed
        document is counted under the first rule that removed it in --report (JSON)
        and, with --rejected, written there as a JSON line with the rule, the measured
        value, the file and the line. Invalid UTF-8, invalid JSON, missing fields and
        empty documents are rules too (or errors with --strict).

        Rules (all on by default; --off RULE turns one off):
          invalid_characters  U+FFFD, control, private-use, unassigned
          length              --min-chars 10, --max-chars,
                              --min-words, --max-words 100000
          script              --min-hangul-ratio 0.3 (of letters),
                              --max-other-script-ratio 0.3
          character_classes   --max-symbol-ratio 0.1, --max-digit-ratio 0.3,
                              --max-punctuation-ratio 0.3
          word_length         --min-mean-word-length 1.5,
                              --max-mean-word-length 15
          repetition          Gopher's duplicate line, paragraph, n-gram rules
          boilerplate         --max-boilerplate-fraction 0.5
                              (copyright lines, menus, login links)
          block_list          --block-list FILE (phrases; lines starting
                              with re: are ICU regular expressions)

        Examples:
          tokki clean --input crawl.txt --output clean.txt \\
              --report clean.json --rejected rejected.jsonl
          tokki clean --input court.jsonl --text-field text \\
              --min-hangul-ratio 0.5 --block-list block.txt --output kept.jsonl
          tokki clean --input kolaw.txt --off script --off length > kept.txt
        """
    )

    @OptionGroup var corpus: CorpusCleaningOptions
    @Option(help: "Turn a rule off (repeatable).")
    var off: [String] = []
    @Option(help: "A block-list file.")
    var blockList: String?
    @Option(help: "Fewest non-space characters.") var minChars: Int = LengthFilter().minCharacters ?? 0
    @Option(help: "Most non-space characters.") var maxChars: Int?
    @Option(help: "Fewest words.") var minWords: Int?
    @Option(help: "Most words.") var maxWords: Int = LengthFilter().maxWords ?? 0
    @Option(help: "Least share of Hangul among letters.") var minHangulRatio: Double = ScriptFilter().minHangulRatio ?? 0
    @Option(help: "Most share of letters of other scripts than Hangul, Han, Latin.") var maxOtherScriptRatio: Double = ScriptFilter().maxOtherScriptRatio ?? 1
    @Option(help: "Most share of symbols.") var maxSymbolRatio: Double = CharacterClassFilter().maxSymbolRatio ?? 1
    @Option(help: "Most share of digits.") var maxDigitRatio: Double = CharacterClassFilter().maxDigitRatio ?? 1
    @Option(help: "Most share of punctuation.") var maxPunctuationRatio: Double = CharacterClassFilter().maxPunctuationRatio ?? 1
    @Option(help: "Shortest mean word length.") var minMeanWordLength: Double = WordLengthFilter().minMean ?? 0
    @Option(help: "Longest mean word length.") var maxMeanWordLength: Double = WordLengthFilter().maxMean ?? 1000
    @Option(help: "Most share of boilerplate lines.") var maxBoilerplateFraction: Double = BoilerplateFilter().maxFraction
    static let rules = ["invalid_characters", "length", "script", "character_classes", "word_length", "repetition", "boilerplate", "block_list"]

    func validate() throws {
        for r in off where !Self.rules.contains(r) {
            throw ValidationError("unknown rule '\(r)' for --off (rules: \(Self.rules.joined(separator: ", ")))")
        }
    }

    func pipeline() throws -> QualityPipeline {
        var filters: [any QualityFilter] = []
        let on = { (rule: String) in !off.contains(rule) }
        if on("invalid_characters") { filters.append(InvalidCharacterFilter()) }
        if on("length") {
            var f = LengthFilter()
            f.minCharacters = minChars; f.maxCharacters = maxChars; f.minWords = minWords; f.maxWords = maxWords
            filters.append(f)
        }
        if on("script") {
            var f = ScriptFilter()
            f.minHangulRatio = minHangulRatio; f.maxOtherScriptRatio = maxOtherScriptRatio
            filters.append(f)
        }
        if on("character_classes") {
            var f = CharacterClassFilter()
            f.maxSymbolRatio = maxSymbolRatio; f.maxDigitRatio = maxDigitRatio; f.maxPunctuationRatio = maxPunctuationRatio
            filters.append(f)
        }
        if on("word_length") {
            var f = WordLengthFilter()
            f.minMean = minMeanWordLength; f.maxMean = maxMeanWordLength
            filters.append(f)
        }
        if on("repetition") { filters.append(RepetitionFilter()) }
        if on("boilerplate") {
            var f = BoilerplateFilter()
            f.maxFraction = maxBoilerplateFraction
            filters.append(f)
        }
        if let blockList, on("block_list") {
            guard let data = FileManager.default.contents(atPath: blockList) else {
                throw fail(.noInput, "cannot open block list '\(blockList)'")
            }
            do { filters.append(try BlockListFilter(contents: [UInt8](data), source: blockList)) } catch {
                throw fail(.dataError, error.description)
            }
        }
        return QualityPipeline(filters)
    }

    func run() throws {
        let quality = try pipeline()
        let (reader, outputs) = try corpus.open()
        let workers = corpus.workers
        let progress = Progress(quiet: corpus.quiet)
        do {
            try reader.forEachBatch { (batch, done) throws(ExitCode) in
                var verdicts = [Rejection?](repeating: nil, count: batch.count)
                verdicts.withUnsafeMutableBufferPointer { v in
                    nonisolated(unsafe) let v = v
                    let n = max(1, min(workers, batch.count)), chunk = (batch.count + n - 1) / n
                    DispatchQueue.concurrentPerform(iterations: n) { w in
                        for k in (w * chunk)..<min(batch.count, (w + 1) * chunk) {
                            switch batch[k].text {
                            case .rejected(let why): v[k] = why
                            case .text(let t): v[k] = quality.evaluate(t)
                            }
                        }
                    }
                }
                for (r, why) in zip(batch, verdicts) {
                    if let why { try outputs.reject(r, why) } else { try outputs.keep(r) }
                }
                if let total = reader.totalBytes, total > 0 { progress.report("clean", Double(done) / Double(total)) }
            }
        } catch {
            outputs.abort()
            progress.finish()
            throw error
        }
        progress.report("clean", 1)
        progress.finish()
        var settings = "{\"off\":[\(off.map { "\"\($0)\"" }.joined(separator: ","))],\"min_chars\":\(minChars),\"min_hangul_ratio\":\(minHangulRatio),"
        settings += "\"max_symbol_ratio\":\(maxSymbolRatio),\"max_digit_ratio\":\(maxDigitRatio),\"max_punctuation_ratio\":\(maxPunctuationRatio),"
        settings += "\"max_boilerplate_fraction\":\(maxBoilerplateFraction)}"
        try outputs.finish(command: "clean", inputs: corpus.input, extra: [("settings", settings)])
        if !corpus.quiet {
            printError("tokki clean: kept \(outputs.keptCount) of \(outputs.documents) documents; removed " +
                       (outputs.counts.isEmpty ? "none" : outputs.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        }
    }
}

/// `tokki dedup`: exact and near-duplicate removal.
struct Dedup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove duplicate documents: exact (128-bit hash), and near duplicates with MinHash LSH (--near).",
        discussion: """
        Documents are compared after collapsing whitespace and lowercasing ASCII. The
        first copy is kept; later copies are removed and reported with the document
        they repeat. With --near, a document is also removed when its MinHash estimate
        of Jaccard similarity with a kept document reaches --threshold, over shingles
        of --ngram characters (Korean has no reliable word boundaries; --shingle word
        uses words). Bands and rows default to datasketch's choice for the threshold
        and --num-perm. The report lists every cluster: the kept document and the ones
        removed as its copies. Same input and --seed: the same output.

        Examples:
          tokki dedup --input a.txt --input b.txt --output unique.txt \\
              --report dedup.json
          tokki dedup --near --threshold 0.8 --input crawl.jsonl \\
              --text-field text --output unique.jsonl --rejected dups.jsonl
          tokki dedup --near --num-perm 256 --shingle word --ngram 3 \\
              --signatures-on-disk /scratch/sig --input big.txt --output u.txt
        """
    )

    enum ShingleUnit: String, ExpressibleByArgument, CaseIterable { case char, word }

    @OptionGroup var corpus: CorpusCleaningOptions
    @Flag(help: "Also remove near duplicates (MinHash LSH).")
    var near = false
    @Option(help: "Jaccard similarity for a near duplicate.")
    var threshold: Double = MinHashLSH.Configuration().threshold
    @Option(help: "MinHash signature length.")
    var numPerm: Int = MinHashLSH.Configuration().permutations
    @Option(help: "LSH bands (with --rows; default: chosen for the threshold).")
    var bands: Int?
    @Option(help: "LSH rows per band.")
    var rows: Int?
    @Option(help: "Shingle unit: char or word.")
    var shingle: ShingleUnit = .char
    @Option(help: "Shingle size (characters or words).")
    var ngram: Int = 5
    @Option(help: "Seed of the MinHash functions.")
    var seed: UInt64 = MinHashLSH.Configuration().seed
    @Option(help: "Keep signatures in a temporary file at this path instead of memory.")
    var signaturesOnDisk: String?
    @Option(help: "Bound memory: remember at most this many documents (a copy is found within the last half of them).")
    var maxIndexDocuments: Int?

    func validate() throws {
        if let maxIndexDocuments, maxIndexDocuments < 2 { throw ValidationError("--max-index-documents must be at least 2") }
    }

    func run() throws {
        var lsh: MinHashLSH? = nil
        var index: NearDuplicateIndex? = nil
        var windowed: WindowedNearDuplicateIndex? = nil
        if near {
            var c = MinHashLSH.Configuration()
            c.threshold = threshold
            c.permutations = numPerm
            c.bands = bands
            c.rows = rows
            c.shingle = shingle == .char ? .characters(ngram) : .words(ngram)
            c.seed = seed
            do {
                let l = try MinHashLSH(c)
                lsh = l
                if let maxIndexDocuments {
                    windowed = try WindowedNearDuplicateIndex(l, maxDocuments: maxIndexDocuments, spillPrefix: signaturesOnDisk)
                } else {
                    index = try NearDuplicateIndex(l, spillPath: signaturesOnDisk)
                }
            } catch { throw fail(.usage, error.description) }
        }
        let (reader, outputs) = try corpus.open()
        let workers = corpus.workers
        let progress = Progress(quiet: corpus.quiet)
        var exact = ExactDeduplicator(maxDocuments: maxIndexDocuments)
        // Every document with text gets a number; `representative[n]` is the kept document it
        // belongs to (itself when kept). Clusters list the removed copies by representative.
        var locations: [(source: String, line: Int)] = []
        var representative: [Int32] = []
        var members: [Int: [(source: String, line: Int, similarity: Double)]] = [:]
        var exactCount = 0, nearCount = 0
        do {
            try reader.forEachBatch { (batch, done) throws(ExitCode) in
                var signatures = [[UInt32]](repeating: [], count: batch.count)
                if let lsh {
                    signatures.withUnsafeMutableBufferPointer { s in
                        nonisolated(unsafe) let s = s
                        let n = max(1, min(workers, batch.count)), chunk = (batch.count + n - 1) / n
                        DispatchQueue.concurrentPerform(iterations: n) { w in
                            for k in (w * chunk)..<min(batch.count, (w + 1) * chunk) {
                                if case .text(let t) = batch[k].text { s[k] = lsh.signature(t) }
                            }
                        }
                    }
                }
                for (k, r) in batch.enumerated() {
                    let t: [UInt8]
                    switch r.text {
                    case .rejected(let why):
                        try outputs.reject(r, why)
                        continue
                    case .text(let x): t = x
                    }
                    let number = locations.count
                    locations.append((r.source, r.line))
                    if let first = exact.check(t, index: number) {
                        let rep = Int(representative[first])
                        representative.append(Int32(rep))
                        exactCount += 1
                        members[rep, default: []].append((r.source, r.line, 1))
                        let original = locations[first]
                        try outputs.reject(r, Rejection(rule: "exact_duplicate", detail: "same text as \(original.source):\(original.line)"),
                                           extra: [("duplicate_of", location(original.source, original.line)), ("similarity", "1")])
                        continue
                    }
                    if index != nil || windowed != nil {
                        let m: NearDuplicateIndex.Match?
                        do throws(DataError) {
                            if let windowed { m = try windowed.check(signatures[k], number: number) }
                            else if let index { m = try index.check(signatures[k], number: number) }
                            else { m = nil }
                        } catch { throw fail(.ioError, error.description) }
                        if let m {
                            representative.append(Int32(m.document))
                            nearCount += 1
                            members[m.document, default: []].append((r.source, r.line, m.similarity))
                            let original = locations[m.document]
                            let sim = String(format: "%.4f", m.similarity)
                            try outputs.reject(r, Rejection(rule: "near_duplicate", detail: "similarity \(sim) with \(original.source):\(original.line)"),
                                               extra: [("duplicate_of", location(original.source, original.line)), ("similarity", sim)])
                            continue
                        }
                    }
                    representative.append(Int32(number))
                    try outputs.keep(r)
                }
                if let total = reader.totalBytes, total > 0 { progress.report("dedup", Double(done) / Double(total)) }
            }
        } catch {
            outputs.abort()
            progress.finish()
            throw error
        }
        progress.report("dedup", 1)
        progress.finish()
        var json = "["
        for (i, key) in members.keys.sorted().enumerated() {
            guard let list = members[key] else { continue }
            if i > 0 { json += "," }
            let kept = locations[key]
            json += "{\"kept\":\(location(kept.source, kept.line)),\"removed\":["
            json += list.map { m -> String in
                var o = location(m.source, m.line)
                o.removeLast()
                return o + ",\"similarity\":\(String(format: "%.4f", m.similarity))}"
            }.joined(separator: ",")
            json += "]}"
        }
        json += "]"
        var settings = "{\"near\":\(near),\"threshold\":\(threshold),\"num_perm\":\(numPerm),\"shingle\":\"\(shingle.rawValue)\",\"ngram\":\(ngram),\"seed\":\(seed)"
        if let lsh { settings += ",\"bands\":\(lsh.bands),\"rows\":\(lsh.rows)" }
        settings += "}"
        try outputs.finish(command: "dedup", inputs: corpus.input, extra: [
            ("exact_duplicates", String(exactCount)), ("near_duplicates", String(nearCount)),
            ("settings", settings), ("clusters", json),
        ])
        if !corpus.quiet {
            var message = "tokki dedup: kept \(outputs.keptCount) of \(outputs.documents) documents; \(exactCount) exact and \(nearCount) near duplicates"
            let other = outputs.counts.filter { $0.key != "exact_duplicate" && $0.key != "near_duplicate" }
            if !other.isEmpty { message += "; also removed " + other.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
            if let bytes = index?.memoryBytes ?? windowed?.memoryBytes { message += "; index \(bytes / 1_048_576) MB" }
            printError(message)
        }
    }

    func location(_ source: String, _ line: Int) -> String {
        var b: [UInt8] = Array("{\"source\":".utf8)
        JSONText.appendString(source, to: &b)
        b += Array(",\"line\":\(line)}".utf8)
        return String(decoding: b, as: UTF8.self)
    }
}


/// The options `clean` and `dedup` share: where documents come from and where kept and removed
/// ones and the report go.
struct CorpusCleaningOptions: ParsableArguments {
    @Option(help: "Input file (repeatable; default: stdin).")
    var input: [String] = []
    @Option(help: "Kept documents (default: stdout).")
    var output: String?
    @Option(help: "JSONL input: the field holding the text.")
    var textField: String?
    @Option(help: "Write a JSON report here (counts per rule; dedup adds the clusters).")
    var report: String?
    @Option(help: "Write removed documents here (JSON lines with the rule and, for dedup, the document they repeat).")
    var rejected: String?
    @Flag(help: "Stop at invalid UTF-8, invalid JSON or a missing field instead of counting it.")
    var strict = false
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Flag(help: "No progress display.")
    var quiet = false
    @OptionGroup var lineLimit: LineLimitOptions

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Worker threads to use.
    var workers: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// The reader and the outputs.
    func open() throws(ExitCode) -> (CorpusRecordReader, CleaningOutputs) {
        var reader = try CorpusRecordReader(inputs: input, textField: textField, strict: strict)
        reader.maxLineBytes = lineLimit.maxLineBytes.value
        return (reader, try CleaningOutputs(output: output, rejected: rejected, report: report))
    }
}
