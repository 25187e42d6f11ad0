import ArgumentParser
import Foundation
import Tokki
import TokkiData

/// `tokki dedup --near --stage signatures|merge|filter`: near-duplicate removal split over
/// machines (``DedupStages``), with the decisions of one `tokki dedup --near` run.
extension Dedup {
    enum Stage: String, ExpressibleByArgument, CaseIterable { case signatures, merge, filter }

    func validateStage() throws {
        guard let stage else {
            if shard != nil || workDir != nil { throw ValidationError("--shard and --work-dir belong to --stage") }
            return
        }
        guard near else { throw ValidationError("--stage splits near-duplicate removal: give --near") }
        guard workDir != nil else { throw ValidationError("--stage needs --work-dir DIR, a folder every stage can read") }
        if stage == .merge {
            if shard != nil { throw ValidationError("--stage merge runs once over all shards: leave out --shard") }
            if corpus.output != nil || corpus.rejected != nil { throw ValidationError("--stage merge writes no documents: --output and --rejected belong to --stage filter") }
        } else {
            guard shard != nil else { throw ValidationError("--stage \(stage.rawValue) needs --shard K/N") }
            _ = try ShardOption.parse(shard)
            if corpus.report != nil { throw ValidationError("the report (clusters and counts) is written by --stage merge: give --report there") }
            if stage == .signatures && (corpus.output != nil || corpus.rejected != nil) {
                throw ValidationError("--stage signatures writes DIR/signatures.K only: --output and --rejected belong to --stage filter")
            }
        }
        if stage != .merge && (maxIndexDocuments != nil || signaturesOnDisk != nil) {
            throw ValidationError("--max-index-documents and --signatures-on-disk belong to --stage merge")
        }
    }

    func runStage(_ stage: Stage) throws {
        guard let lsh = try makeLSH(), let dir = workDir else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        switch stage {
        case .signatures: try runSignatures(lsh, dir)
        case .merge: try runMerge(lsh, dir)
        case .filter: try runFilter(lsh, dir)
        }
        if !corpus.quiet {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            printError("tokki dedup: stage \(stage.rawValue)\(shard.map { " " + $0 } ?? "") took \(TokenizerComparisonReport.fixed(seconds, 1)) s")
        }
    }

    /// The reader of this shard's records, its byte range and the header of its stage files.
    func shardInput(_ lsh: MinHashLSH, kind: DedupShardHeader.Kind) throws(ExitCode) -> (CorpusRecordReader, Range<Int>, DedupShardHeader) {
        var reader = try CorpusRecordReader(inputs: corpus.input, textField: corpus.documents.textField, strict: corpus.strict)
        reader.maxLineBytes = corpus.lineLimit.maxLineBytes.value
        guard let (k, n) = try? ShardOption.parse(shard) else { throw fail(.usage, "--shard must be K/N") }
        let range = try ShardOption.range(k, n, reader: reader)
        return (reader, range, header(lsh, kind: kind, shard: k, shards: n, inputs: reader.inputs))
    }

    func header(_ lsh: MinHashLSH, kind: DedupShardHeader.Kind, shard k: Int, shards n: Int, inputs: [String]) -> DedupShardHeader {
        let sized = inputs.map { p in
            DedupShardHeader.Input(path: p, size: ((try? FileManager.default.attributesOfItem(atPath: p))?[.size] as? NSNumber)?.intValue ?? 0)
        }
        return DedupShardHeader(kind: kind, shard: k, shards: n, configuration: lsh.configuration, textField: corpus.documents.textField, inputs: sized)
    }

    /// Stage 1, per shard: DIR/signatures.K.
    func runSignatures(_ lsh: MinHashLSH, _ dir: String) throws {
        let (reader, range, header) = try shardInput(lsh, kind: .signatures)
        let path = DedupStages.signaturePath(dir, shard: header.shard)
        let writer: DedupSignatureWriter
        do { writer = try DedupSignatureWriter(path: path, header: header) } catch { throw fail(.cannotCreate, error.description) }
        let workers = corpus.workers
        let progress = Progress(quiet: corpus.quiet)
        defer { progress.finish() }
        var file = -1
        try reader.forEachBatch(in: range) { (batch, done) throws(ExitCode) in
            let (signatures, keys) = Self.fingerprints(batch, lsh: lsh, keys: true, workers: workers)
            do throws(DataError) {
                for (k, r) in batch.enumerated() {
                    if r.file != file { file = r.file; try writer.startInput(file) }
                    switch r.text {
                    case .text: try writer.text(key: keys[k], signature: signatures[k])
                    case .rejected(let why): try writer.rejected(rule: why.rule)
                    }
                }
            } catch { throw fail(.ioError, error.description) }
            progress.report("signatures", Double(done - range.lowerBound) / Double(max(1, range.count)))
        }
        do { try writer.finish() } catch { throw fail(.ioError, error.description) }
    }

    /// Stage 2, once: DIR/decisions.K for every shard, and the report.
    func runMerge(_ lsh: MinHashLSH, _ dir: String) throws {
        let first: DedupSignatureReader
        do { first = try DedupSignatureReader(path: DedupStages.signaturePath(dir, shard: 0)) } catch {
            throw fail(.noInput, "\(error.description) (run --stage signatures for every shard first)")
        }
        var expected = first.header
        if !corpus.input.isEmpty {
            expected.inputs = header(lsh, kind: .signatures, shard: 0, shards: 1, inputs: corpus.input).inputs
        }
        expected.shard = 0
        let paths = (0..<expected.shards).map { DedupStages.signaturePath(dir, shard: $0) }
        if let missing = paths.first(where: { !FileManager.default.fileExists(atPath: $0) }) {
            throw fail(.noInput, "\(missing): no such file; the signatures of all \(expected.shards) shards are needed (run --stage signatures --shard K/\(expected.shards) for each)")
        }
        let deduplicator = try makeDeduplicator()
        let mine = header(lsh, kind: .signatures, shard: 0, shards: expected.shards, inputs: [])
        expected.permutations = mine.permutations
        expected.shingle = mine.shingle
        expected.seed = mine.seed
        let counts: DedupMergeCounts
        do {
            counts = try DedupStages.merge(paths, expected: expected, into: deduplicator) { DedupStages.decisionsPath(dir, shard: $0) }
        } catch {
            if case .mismatch = error { throw fail(.usage, error.description) }
            throw fail(.dataError, error.description)
        }
        var report = CleaningReport(command: "dedup", inputs: expected.inputs.map(\.path), documents: counts.documents, kept: counts.kept,
                                    removedByRule: counts.removedByRule)
        report.duplicates = (deduplicator.exactDuplicates, deduplicator.nearDuplicates)
        report.settings = settings(lsh)
        report.clusters = deduplicator.clusters
        if let path = corpus.report { try writeAtomically(report.json, to: path) }
        summarize(kept: counts.kept, of: counts.documents, removed: counts.removedByRule, deduplicator)
    }

    /// Stage 3, per shard: the shard's kept documents (and --rejected), from DIR/decisions.K.
    func runFilter(_ lsh: MinHashLSH, _ dir: String) throws {
        let (reader, range, expected) = try shardInput(lsh, kind: .decisions)
        let path = DedupStages.decisionsPath(dir, shard: expected.shard)
        let decisions: DedupDecisions
        do {
            decisions = try DedupDecisions(path: path)
            try decisions.header.check(against: expected, path: path)
        } catch {
            if case .io = error { throw fail(.noInput, "\(error.description) (run --stage merge first)") }
            throw fail(.usage, error.description)
        }
        let inputs = expected.inputs.map(\.path)
        let outputs = try CleaningOutputs(output: corpus.output, rejected: corpus.rejected, report: nil)
        var ordinal = 0, next = 0
        let removals = decisions.removals
        do {
            try reader.forEachRecord(in: range) { (record) throws(ExitCode) in
                var r = record
                r.line += decisions.lineBases[r.file]
                defer { ordinal += 1 }
                let removal = next < removals.count && removals[next].ordinal == ordinal ? removals[next] : nil
                switch r.text {
                case .rejected(let why):
                    if removal != nil { throw fail(.dataError, "\(path) removes \(r.source):\(r.line), a line without text: the inputs changed since the signatures were made") }
                    try outputs.reject(r, why)
                case .text:
                    guard let m = removal else { try outputs.keep(r); return true }
                    next += 1
                    let original = DocumentLocation(source: inputs[m.input], line: m.line)
                    try Self.write(r, m.exact ? .exact(of: original) : .near(of: original, similarity: m.similarity), to: outputs)
                }
                return true
            }
            if next < removals.count { throw fail(.dataError, "\(path) removes documents past the end of shard \(expected.shard): the inputs changed since the signatures were made") }
        } catch {
            outputs.abort()
            throw error
        }
        try outputs.finish(outputs.report(command: "dedup", inputs: inputs))
    }
}

/// `--shard K/N` of `prepare` and `dedup --stage`: part K of N equal byte ranges of the
/// concatenated inputs; a line belongs to the part its first byte is in.
enum ShardOption {
    /// (K, N), or nil without the option.
    static func parse(_ shard: String?) throws -> (Int, Int)? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else {
            throw ValidationError("--shard must be K/N with 0 ≤ K < N, e.g. 0/4")
        }
        return (k, n)
    }

    /// The byte range of part `k` of `n` of the reader's inputs (which must be plain files).
    static func range(_ k: Int, _ n: Int, reader: CorpusRecordReader) throws(ExitCode) -> Range<Int> {
        guard let total = reader.totalBytes else {
            if reader.decoded {
                throw fail(.usage, "--shard splits by byte offset and needs plain UTF-8 input files: decompress or convert first (gzip -d, zstd -d, iconv -f cp949), or give each job its own files")
            }
            throw fail(.usage, "--shard needs input files (stdin has no known size)")
        }
        // Part k holds the lines whose first byte is in [k·T/N, (k+1)·T/N).
        return Int((Int64(total) * Int64(k)) / Int64(n))..<Int((Int64(total) * Int64(k + 1)) / Int64(n))
    }
}
