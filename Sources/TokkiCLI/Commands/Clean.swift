import ArgumentParser
import Dispatch
import Foundation
import Tokki
import TokkiData

/// `tokki clean`: quality filters.
struct Clean: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
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
          offensive           Korean offensive language, through spacing,
                              punctuation and jamo (시 발, 씨.발, ㅅㅂ);
                              --offensive-lexicon FILE adds words
          block_list          --block-list FILE (phrases; lines starting
                              with re: are ICU regular expressions)
          source              --allow-source, --deny-source PATTERN (a name
                              or glob, domain:HOST, re:REGEX) over the input
                              file or --source-field (off without them)

        Examples:
          tokki clean --input crawl.txt --output clean.txt \\
              --report clean.json --rejected rejected.jsonl
          tokki clean --input court.jsonl --text-field text \\
              --min-hangul-ratio 0.5 --block-list block.txt --output kept.jsonl
          tokki clean --input kolaw.txt --off script --off length > kept.txt
          tokki clean --input crawl.jsonl --text-field text --source-field url \\
              --allow-source domain:law.go.kr --deny-source '*forum*'
        """
    )

    @OptionGroup var corpus: CorpusCleaningOptions
    @Option(help: "Turn a rule off (repeatable).")
    var off: [String] = []
    @Option(help: "A block-list file.")
    var blockList: String?
    @Option(help: "offensive: more words (one per line; 'allow:WORD' for an ordinary word that contains one).")
    var offensiveLexicon: String?
    @Option(help: "source: JSONL field naming each document's source or URL (default: the input file).")
    var sourceField: String?
    @Option(help: ArgumentHelp("source: keep only documents from sources matching (repeatable): a name or glob, domain:HOST, re:REGEX.", valueName: "PATTERN"))
    var allowSource: [String] = []
    @Option(help: ArgumentHelp("source: remove documents from sources matching (repeatable; wins over --allow-source).", valueName: "PATTERN"))
    var denySource: [String] = []
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
    static let rules = ["invalid_characters", "length", "script", "character_classes", "word_length", "repetition", "boilerplate",
                        "offensive", "block_list", "source"]

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
        if on("offensive") {
            if let offensiveLexicon {
                guard let data = FileManager.default.contents(atPath: offensiveLexicon) else {
                    throw fail(.noInput, "cannot open offensive-language lexicon '\(offensiveLexicon)'")
                }
                do { filters.append(try OffensiveLanguageFilter(file: [UInt8](data), source: offensiveLexicon)) } catch {
                    throw fail(.dataError, error.description)
                }
            } else {
                filters.append(OffensiveLanguageFilter())
            }
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

    /// The source rules (--allow-source, --deny-source).
    func sourceRules() throws(ExitCode) -> SourceRules {
        do {
            return SourceRules(allow: try allowSource.map { (p) throws(DataError) in try SourcePattern(p) },
                               deny: try denySource.map { (p) throws(DataError) in try SourcePattern(p) })
        } catch { throw fail(.usage, error.description) }
    }

    func run() throws {
        let quality = try pipeline()
        let sources = off.contains("source") ? SourceRules() : try sourceRules()
        if sourceField != nil && allowSource.isEmpty && denySource.isEmpty {
            throw fail(.usage, "--source-field is for --allow-source / --deny-source")
        }
        let field = sourceField
        let (reader, outputs) = try corpus.open()
        let workers = corpus.workers
        let progress = Progress(quiet: corpus.quiet)
        do {
            try reader.forEachBatch { (batch, done) throws(ExitCode) in
                var verdicts = [Rejection?](repeating: nil, count: batch.count)
                verdicts.withUnsafeMutableBufferPointer { v in
                    nonisolated(unsafe) let v = v
                    let n = max(1, min(workers, batch.count)), chunk = (batch.count + n - 1) / n
                    Parallelism.run(tasks: n) { w in
                        for k in (w * chunk)..<min(batch.count, (w + 1) * chunk) {
                            switch batch[k].text {
                            case .rejected(let why): v[k] = why
                            case .text(let t):
                                if !sources.isEmpty {
                                    if let field, (try? JSONLines.stringField(field, in: batch[k].raw)) == nil {
                                        v[k] = Rejection(rule: "source", detail: "no string field '\(field)'")
                                        continue
                                    }
                                    if let why = sources.evaluate(SourceMixer.source(batch[k], field: field)) { v[k] = why; continue }
                                }
                                v[k] = quality.evaluate(t)
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
        var report = outputs.report(command: "clean", inputs: corpus.input)
        report.settings = [
            ("off", .strings(off)), ("min_chars", .integer(minChars)), ("min_hangul_ratio", .number(minHangulRatio)),
            ("max_symbol_ratio", .number(maxSymbolRatio)), ("max_digit_ratio", .number(maxDigitRatio)),
            ("max_punctuation_ratio", .number(maxPunctuationRatio)), ("max_boilerplate_fraction", .number(maxBoilerplateFraction)),
        ]
        try outputs.finish(report)
        if !corpus.quiet {
            printError("tokki clean: kept \(outputs.keptCount) of \(outputs.documents) documents; removed " +
                       (outputs.counts.isEmpty ? "none" : outputs.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        }
    }
}
