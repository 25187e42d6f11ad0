import ArgumentParser
import Foundation
import Tokki
import TokkiData

/// `tokki dedup --substring`: exact-substring de-duplication (``SubstringDeduplicator``).
extension Dedup {
    /// Half the physical memory.
    static var defaultMaxMemory: Int { Int(ProcessInfo.processInfo.physicalMemory / 2) }

    /// A document read: where it came from and how to write it back.
    private struct Document {
        var source: Int
        var line: Int
        /// Plain text: the line ended with CR LF.
        var carriageReturn: Bool
        /// JSONL: the record's line in the raw store.
        var raw: Range<Int>
    }

    func runSubstring() throws {
        let started = DispatchTime.now().uptimeNanoseconds
        let (reader, outputs) = try corpus.open()
        let limit = maxMemory?.value ?? Self.defaultMaxMemory
        let field = corpus.documents.textField
        let directory = tempDir ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        // --unit tokens: the search runs over the documents' token ids (SubstringTokens).
        let tokenizer: (any Tokenizer)?
        do { tokenizer = unit == .tokens ? try loadModel(model, storedTruncation: false, storedPadding: false) : nil } catch {
            outputs.abort()
            throw error
        }
        let searchLength = tokenizer != nil ? minLength * SubstringTokens.width : minLength
        /// In memory (nil), on disk in parts of the given size, or a corpus that cannot fit.
        func plan(corpus c: Int, raw r: Int) throws(ExitCode) -> SubstringDiskMode? {
            let minLength = searchLength
            if SubstringDeduplicator.memoryNeeded(corpusBytes: c) + r <= limit && c <= SuffixArray.maxLength { return nil }
            // Two parts at once on two or more threads, when that leaves parts of at least 4 MiB.
            let threads = SubstringDiskMode.partBytes(memory: limit - r, corpusBytes: c, minLength: minLength, threads: 2)
                .map { corpus.workers > 1 && $0 >= 4 << 20 } == true ? 2 : 1
            guard let p = SubstringDiskMode.partBytes(memory: limit - r, corpusBytes: c, minLength: minLength, threads: threads) else {
                let least = SubstringDiskMode.memoryNeeded(corpusBytes: c, partBytes: SubstringDiskMode.minimumPartBytes, minLength: minLength) + r
                throw fail(.usage, "exact-substring de-duplication of \(c) bytes of text needs at least \(megabytes(least)) of memory even on disk (\(field != nil ? "the text and the JSONL lines stay" : "the text stays") in memory, about \(field != nil ? "2.1" : "1.1") bytes per byte, with one part's suffix array), more than --max-memory \(megabytes(limit)); raise --max-memory or split the input")
            }
            return SubstringDiskMode(partBytes: p, directory: directory, threads: threads)
        }
        // Nothing but a temporary rejected file exists yet; a corpus that cannot fit stops here.
        if let total = reader.totalBytes {
            do { _ = try plan(corpus: total + 1, raw: field != nil ? total : 0) } catch {
                outputs.abort()
                throw error
            }
        }
        let deduplicator: SubstringDeduplicator
        let tokens: SubstringDeduplicator?
        do {
            deduplicator = try SubstringDeduplicator(minLength: minLength, reservingCapacity: (reader.totalBytes ?? 0) + 1)
            tokens = tokenizer != nil ? try SubstringDeduplicator(minLength: searchLength, stride: SubstringTokens.width) : nil
        } catch {
            outputs.abort()
            throw fail(.usage, error.description)
        }
        var documents: [Document] = []
        var raw: [UInt8] = []
        var sources: [String] = []
        var readBytes = 0
        var ids: [UInt8] = []
        /// The bytes searched (the text, or in token mode its tokens) and the bytes held besides:
        /// the JSONL lines, the text in token mode, and about 64 bytes per document of
        /// bookkeeping (where it came from, where it starts, its cuts).
        func sizes() -> (corpus: Int, raw: Int) {
            let besides = raw.count + 64 * documents.count
            guard let tokens else { return (deduplicator.corpus.count, besides) }
            return (tokens.corpus.count, besides + deduplicator.corpus.count)
        }
        do {
            try reader.forEachRecord { (r) throws(ExitCode) in
                readBytes = r.offset + r.raw.count + 1
                guard case .text(let text) = r.text else {
                    if case .rejected(let why) = r.text { try outputs.reject(r, why) }
                    return true
                }
                guard deduplicator.append(text) != nil else {
                    try outputs.reject(r, Rejection(rule: "invalid_utf8", detail: "a byte 0xF8–0xFF in the text"))
                    return true
                }
                if let tokenizer, let tokens {
                    let encoding: Encoding
                    do { encoding = try text.withUnsafeBufferPointer { (b) throws(TokkiError) in try tokenizer.encode(bytes: b, options: EncodeOptions()) } } catch {
                        throw fail(.failure, "\(r.source): line \(r.line): cannot tokenize: \(error)")
                    }
                    ids.removeAll(keepingCapacity: true)
                    guard SubstringTokens.encode(encoding.ids, into: &ids) else {
                        throw fail(.usage, "--unit tokens holds token ids up to \(SubstringTokens.maxID); this model has larger ones")
                    }
                    tokens.append(ids)
                }
                if sources.last != r.source { sources.append(r.source) }
                var d = Document(source: sources.count - 1, line: r.line, carriageReturn: false, raw: 0..<0)
                if field != nil {
                    d.raw = raw.count..<(raw.count + r.raw.count)
                    raw.append(contentsOf: r.raw)
                } else {
                    d.carriageReturn = r.raw.count > text.count
                }
                documents.append(d)
                let size = sizes()
                _ = try plan(corpus: size.corpus, raw: size.raw)
                return true
            }
        } catch {
            outputs.abort()
            throw error
        }
        let read = DispatchTime.now().uptimeNanoseconds
        var found: SubstringDuplicates
        let disk: SubstringDiskMode?
        do { disk = try plan(corpus: sizes().corpus, raw: sizes().raw) } catch {
            outputs.abort()
            throw error
        }
        do { found = try (tokens ?? deduplicator).find(disk: disk) } catch {
            outputs.abort()
            throw fail(.failure, error.description)
        }
        if let tokenizer {
            // Token runs to byte ranges: the documents with cuts are tokenized again for offsets.
            do {
                found = try SubstringTokens.byteDuplicates(found, text: deduplicator) { (i) throws(TokkiError) in
                    try Array(deduplicator.document(i)).withUnsafeBufferPointer { (b) throws(TokkiError) in
                        try tokenizer.encode(bytes: b, options: EncodeOptions()).offsets
                    }
                }
            } catch {
                outputs.abort()
                throw fail(.failure, "cannot tokenize a document again: \(error)")
            }
        }
        let searched = DispatchTime.now().uptimeNanoseconds
        var emptied = 0
        do {
            var next = 0
            var buffer: [UInt8] = []
            var line: [UInt8] = []
            for (i, d) in documents.enumerated() {
                let first = next
                while next < found.ranges.count && found.ranges[next].document == i { next += 1 }
                if first == next {
                    if field != nil {
                        try outputs.keepLine(raw[d.raw], carriageReturn: false)
                    } else {
                        try outputs.keepLine(deduplicator.document(i), carriageReturn: d.carriageReturn)
                    }
                    continue
                }
                buffer.removeAll(keepingCapacity: true)
                deduplicator.appendKept(document: i, removing: found.ranges[first..<next], to: &buffer)
                if buffer.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                    emptied += 1
                    let original = field != nil ? Array(raw[d.raw]) : Array(deduplicator.document(i)) + (d.carriageReturn ? [0x0D] : [])
                    let record = CorpusRecord(raw: original, source: sources[d.source], line: d.line, offset: 0, text: .text([]))
                    try outputs.reject(record, Rejection(rule: "substring_duplicate", detail: "all of its text repeats earlier text"))
                    continue
                }
                guard let field else {
                    try outputs.keepLine(buffer[...], carriageReturn: d.carriageReturn)
                    continue
                }
                // Only the field's string literal changes; the rest of the line stays as it was.
                let original = Array(raw[d.raw])
                let span: (value: [UInt8], literal: Range<Int>)?
                do { span = try JSONLines.stringFieldAndLiteral(field, in: original) } catch {
                    throw fail(.failure, "\(sources[d.source]): line \(d.line): the record cannot be read again: \(error.description)")
                }
                guard let span else {
                    throw fail(.failure, "\(sources[d.source]): line \(d.line): the record lost its field '\(field)'")
                }
                line.removeAll(keepingCapacity: true)
                line.append(contentsOf: original[..<span.literal.lowerBound])
                JSONText.appendString(buffer, to: &line)
                line.append(contentsOf: original[span.literal.upperBound...])
                try outputs.keepLine(line[...], carriageReturn: false)
            }
        } catch {
            outputs.abort()
            throw error
        }
        let (spans, distinct) = deduplicator.spans(of: found, top: topSpans)
        var report = outputs.report(command: "dedup", inputs: corpus.input)
        report.settings = [("substring", .bool(true)), ("min_length", .integer(minLength)), ("unit", .string(unit.rawValue)), ("top_spans", .integer(topSpans))]
        report.substrings = SubstringReport(
            minLength: minLength, inTokens: tokens != nil, textBytes: deduplicator.corpus.count - deduplicator.documentCount,
            bytesRemoved: found.bytesRemoved, rangesRemoved: found.ranges.count, documentsEdited: found.documentsEdited,
            distinctSpans: distinct,
            spans: spans.map { s in
                let d = documents[s.first.document]
                return SubstringReport.Span(preview: SubstringReport.preview(deduplicator.text(of: s.first)), length: s.length, count: s.count,
                                            firstRemoved: DocumentLocation(source: sources[d.source], line: d.line))
            })
        try outputs.finish(report)
        if !corpus.quiet {
            let text = deduplicator.corpus.count - deduplicator.documentCount
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let share = text > 0 ? Double(found.bytesRemoved) * 100 / Double(text) : 0
            var message = "tokki dedup --substring: cut \(found.bytesRemoved) of \(text) bytes (\(String(format: "%.2f", share))%) in \(found.ranges.count) ranges from \(found.documentsEdited) documents (\(emptied) removed whole); kept \(outputs.keptCount) of \(outputs.documents) documents"
            let other = outputs.counts.filter { $0.key != "substring_duplicate" }
            if !other.isEmpty { message += "; also removed " + other.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
            let written = DispatchTime.now().uptimeNanoseconds
            if let disk {
                let parts = ((tokens ?? deduplicator).corpus.count + disk.partBytes - 1) / disk.partBytes
                message += "; on disk: \(parts) part\(parts == 1 ? "" : "s") of \(disk.partBytes) bytes in \(disk.directory)"
                if disk.threads > 1 { message += " (\(disk.threads) parts at once)" }
            }
            message += String(format: "; %.2f s (%.1f MB/s): reading %.2f s, suffix array and search %.2f s, writing %.2f s",
                               seconds, seconds > 0 ? Double(readBytes) / 1e6 / seconds : 0, Double(read - started) / 1e9,
                               Double(searched - read) / 1e9, Double(written - searched) / 1e9)
            printError(message)
        }
    }
}

private func megabytes(_ bytes: Int) -> String {
    bytes < 10 << 20 ? "\((bytes + 1023) >> 10) KiB" : "\((bytes + (1 << 20) - 1) >> 20) MiB"
}
