import ArgumentParser
import Foundation
import Tokki
import TokkiData
import TokkiObjectives

/// `tokki batch --objective sft`: conversations rendered with a chat template, tokenized,
/// labelled on the assistant's text, then padded or packed.
extension BatchCommand {
    /// One record's fate, computed on a worker.
    enum SFTOutcome: Sendable {
        case example(ChatExample)
        case rejected(ChatRecordError)
        /// A blank line.
        case skipped
    }

    /// A record handed to a worker: its JSON text and where it came from.
    struct SFTRecord: Sendable {
        var text: [UInt8]
        var raw: [UInt8]
        var source: String
        var line: Int
        /// Set when the reader already rejected the line (invalid UTF-8).
        var early: ChatRecordError?
        /// Which copy of the record this is (a --mix may repeat it): only copy 0 reports a
        /// bad record, so each bad line is counted once.
        var copy = 0
        /// False for a record a --mix sampled out: it is still checked (a bad line is
        /// reported), but its example is not written.
        var keep = true
    }

    /// The chat templates to render with: one, or (for a model folder with a `tool_use`
    /// template and no --template-name) one for records with tools and one for the others.
    struct SFTEncoders: Sendable {
        var plain: ChatExampleEncoder
        var withTools: ChatExampleEncoder?

        /// Sessions (tokenizer scratch memory) of each worker thread: worker w uses only its own.
        final class Sessions: @unchecked Sendable {
            var plain: [ChatExampleEncoder.Session]
            var withTools: [ChatExampleEncoder.Session?]
            init(_ e: SFTEncoders, workers: Int) {
                plain = (0..<workers).map { _ in e.plain.makeSession() }
                withTools = (0..<workers).map { _ in e.withTools?.makeSession() }
            }
        }

        func example(_ record: SFTRecord, worker: Int, sessions: Sessions) -> SFTOutcome {
            if let early = record.early { return .rejected(early) }
            let value: TemplateValue
            do { value = try TemplateValue.parseJSON(validatedUTF8: record.text) } catch {
                var problem = error.description
                if problem.hasPrefix("model: ") { problem.removeFirst("model: ".count) }
                return .rejected(.invalidJSON(problem))
            }
            do {
                let conversation = try ChatConversation(record: value)
                if conversation.tools != nil, let withTools {
                    return .example(try withTools.example(conversation, session: sessions.withTools[worker]))
                }
                return .example(try plain.example(conversation, session: sessions.plain[worker]))
            } catch {
                return .rejected(error)
            }
        }
    }

    /// The tokenizer, chat template(s) and template variables from --model / --chat-template.
    func sftModel() throws(ExitCode) -> (tokenizer: any Tokenizer, templates: (plain: ChatTemplate, tools: ChatTemplate?), variables: [String: String]) {
        func parse(_ path: String) throws(ExitCode) -> ChatTemplate {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw fail(.noInput, "cannot read chat template \(path): check the path")
            }
            guard let text = String(validating: [UInt8](data), as: UTF8.self) else {
                let bad = UTF8Validation.firstInvalidOffset(in: [UInt8](data)) ?? 0
                throw fail(.dataError, "\(path): invalid UTF-8 at byte offset \(bad)")
            }
            do { return try ChatTemplate(text) } catch { throw fail(.dataError, "\(path): \(error)") }
        }
        var isFolder: ObjCBool = false
        if let path = modelOptions.model, FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            let folder: ModelFolder
            do { folder = try ModelFolder(contentsOf: path, options: TokenizerLoadOptions(cache: ModelCache.fromEnvironment())) } catch { throw fail(error) }
            if let chatTemplate {
                if templateName != nil { throw fail(.usage, "--template-name picks a template of the model folder; --chat-template gives one") }
                return (folder.tokenizer, (try parse(chatTemplate), nil), folder.templateVariables)
            }
            do {
                let plain = try folder.chatTemplate(templateName, hasTools: false)
                var tools: ChatTemplate? = nil
                if templateName == nil, folder.chatTemplates["tool_use"] != nil {
                    tools = try folder.chatTemplate(nil, hasTools: true)
                }
                return (folder.tokenizer, (plain, tools), folder.templateVariables)
            } catch {
                throw fail(error)
            }
        }
        guard let chatTemplate else {
            throw fail(.usage, "--objective sft needs a chat template: --model DIR (a Hugging Face model folder with one) or --chat-template FILE")
        }
        if templateName != nil { throw fail(.usage, "--template-name picks a template of a --model folder") }
        let tokenizer = try modelOptions.load()
        return (tokenizer, (try parse(chatTemplate), nil), [:])
    }

    func runSFT() throws {
        if corpusInput.textField != nil {
            throw fail(.usage, "--text-field is for documents; --objective sft reads whole records (messages, conversations, instruction/output or prompt/completion)")
        }
        let (tokenizer, templates, folderVariables) = try sftModel()
        // The folder's named tokens are the defaults of the roles; the options win.
        var overrides: [String: String] = [:]
        for (role, name) in [("bos", "bos_token"), ("eos", "eos_token"), ("pad", "pad_token")] {
            if let t = folderVariables[name], tokenizer.specialTokenID(for: t) != nil { overrides[role] = t }
        }
        if let bosToken { overrides["bos"] = bosToken }
        if let eosToken { overrides["eos"] = eosToken }
        if let padToken { overrides["pad"] = padToken }
        let vocabulary = try BatchVocabulary(tokenizer, overrides: overrides)
        var variables = folderVariables
        for (name, id) in [("bos_token", vocabulary.tokens.bos), ("eos_token", vocabulary.tokens.eos), ("pad_token", vocabulary.tokens.pad)] {
            if variables[name] == nil, let id, let text = tokenizer.token(for: Int(id)) { variables[name] = text }
        }
        if let bosToken { variables["bos_token"] = bosToken }
        if let eosToken { variables["eos_token"] = eosToken }
        if trainOnEos && vocabulary.tokens.eos == nil {
            throw fail(.usage, "--train-on-eos: the model has no EOS token; name it with --eos-token")
        }
        let length = seqLen ?? 1024
        let config = ChatExampleEncoder.Configuration(maxLength: length, trainOnPrompt: trainOnPrompt, trainOnEOS: trainOnEos, truncation: truncation)
        let clock = ChatTemplate.Clock.now
        func encoder(_ t: ChatTemplate) -> ChatExampleEncoder {
            ChatExampleEncoder(template: t, tokenizer: vocabulary.model, specialTokens: variables, eos: vocabulary.tokens.eos,
                               configuration: config, clock: clock)
        }
        let encoders = SFTEncoders(plain: encoder(templates.plain), withTools: templates.tools.map(encoder))

        let megatronPrefix: String? = output.hasSuffix(".idx") ? String(output.dropLast(4))
            : output.hasSuffix(".bin") ? String(output.dropLast(4)) : nil
        if megatronPrefix != nil, packing != .none {
            throw fail(.usage, "Megatron output holds one document per conversation (Megatron builds its own samples): leave out --packing")
        }
        var builder: SupervisedFineTuning.Builder
        do {
            builder = SupervisedFineTuning.Builder(try SupervisedFineTuning(
                SupervisedFineTuning.Configuration(sequenceLength: length, packing: packing, packWindow: packWindow),
                tokens: vocabulary.tokens))
        } catch { throw fail(.usage, error.description) }

        let type: ElementType = dtype == .int32 ? .int32 : .int64
        let writer: (any BatchWriter)?
        let megatron: (tokens: MegatronWriter, mask: MegatronWriter)?
        let rejectedFile: AtomicFile?
        do {
            rejectedFile = try rejected.map { (p) throws(DataError) in try AtomicFile(path: p) }
            if let prefix = megatronPrefix {
                let t = try MegatronWriter(prefix: prefix, type: ElementType.megatron(vocabularySize: vocabulary.tokens.vocabularySize))
                let m: MegatronWriter
                do { m = try MegatronWriter(prefix: prefix + "_loss_mask", type: .uint8) } catch { t.abort(); throw error }
                megatron = (t, m)
                writer = nil
            } else if output.hasSuffix(".safetensors") {
                megatron = nil
                writer = SafetensorsBatchWriter(path: output, type: type, metadata: [
                    ("objective", "sft"), ("packing", packing.rawValue), ("format", "tokki"),
                ])
            } else if output.hasSuffix(".jsonl") {
                megatron = nil
                writer = try JSONLBatchWriter(path: output)
            } else {
                megatron = nil
                writer = try NpyDirectoryWriter(directory: output, type: type)
            }
        } catch { throw fail(.cannotCreate, "\(error)") }
        func abortAll() {
            writer?.abort()
            megatron?.tokens.abort()
            megatron?.mask.abort()
            rejectedFile?.abort()
        }

        let reader = try CorpusRecordReader(inputs: corpusInput.input, textField: nil, strict: false)
        var source = reader
        source.maxLineBytes = lineLimit.maxLineBytes.value
        let mixer = try SourceMixer(mixing, reader: source)
        let progress = progressOptions.progress()
        let workers = threading.workers
        let pool = OrderedWorkers<[(SFTRecord, SFTOutcome)]>(workers: workers)
        let sessions = SFTEncoders.Sessions(encoders, workers: pool.workers)
        defer { pool.close() }
        var batches = 0, rows = 0, examples = 0, droppedTurns = 0, cutExamples = 0
        var rejectedByRule: [String: Int] = [:]
        var rejectedCount = 0
        var shown = 0
        let limit = maxBatches
        let batchSize = self.batchSize
        let strict = self.strict
        let quiet = progressOptions.quiet

        func drain(final: Bool) throws(ExitCode) -> Bool {
            guard let writer else { return true }
            while builder.pendingRows >= batchSize || (final && builder.pendingRows > 0) {
                if let limit, batches >= limit { return false }
                guard let batch = builder.nextBatch(maxRows: batchSize, threads: 1) else { break }
                do { try writer.append(batch) } catch {
                    if case .valueOutOfRange = error { throw fail(.dataError, "\(error.description); use a wider --dtype") }
                    throw fail(.ioError, error.description)
                }
                batches += 1
                rows += batch.rows
            }
            if let limit, batches >= limit { return false }
            return true
        }
        func consume(_ results: [[(SFTRecord, SFTOutcome)]]) throws(ExitCode) -> Bool {
            for group in results {
                for (record, outcome) in group {
                    switch outcome {
                    case .skipped: continue
                    case .rejected where record.copy > 0: continue
                    case .example where !record.keep: continue
                    case .rejected(let why):
                        if strict { throw fail(.dataError, "\(record.source):\(record.line): \(why.description) (without --strict such records are counted and written to --rejected)") }
                        rejectedCount += 1
                        rejectedByRule[why.rule, default: 0] += 1
                        if !quiet && shown < 5 {
                            shown += 1
                            printError("tokki batch: \(record.source):\(record.line): skipped: \(why.description)")
                        }
                        if let rejectedFile {
                            var line: [UInt8] = Array("{\"rule\":".utf8)
                            JSONText.appendString(why.rule, to: &line)
                            line += Array(",\"detail\":".utf8); JSONText.appendString(why.description, to: &line)
                            line += Array(",\"source\":".utf8); JSONText.appendString(record.source, to: &line)
                            line += Array(",\"line\":".utf8); JSONText.appendInteger(record.line, to: &line)
                            line += Array(",\"text\":".utf8); JSONText.appendString(String(decoding: record.raw, as: UTF8.self), to: &line)
                            line += [0x7D, 0x0A]
                            do { try rejectedFile.write(line) } catch { throw fail(.ioError, error.description) }
                        }
                    case .example(let e):
                        examples += 1
                        droppedTurns += e.droppedTurns
                        if e.cutTokens > 0 { cutExamples += 1 }
                        if let megatron {
                            do {
                                try megatron.tokens.append(e.ids)
                                try e.labels.withUnsafeBufferPointer { (l) throws(DataError) in try megatron.mask.appendLossMask(l) }
                            } catch { throw fail(.ioError, error.description) }
                        } else {
                            do { try builder.append(Document(ids: e.ids, labels: e.labels)) } catch {
                                throw fail(.dataError, error.description)
                            }
                            if try !drain(final: false) { return false }
                        }
                    }
                }
            }
            return true
        }

        var pending: [SFTRecord] = []
        var pendingBytes = 0
        func flush() throws(ExitCode) -> Bool {
            guard !pending.isEmpty else { return true }
            let group = pending
            pending = []
            pendingBytes = 0
            return try consume(pool.submit { w in group.map { ($0, encoders.example($0, worker: w, sessions: sessions)) } })
        }
        do {
            try source.forEachRecord { (record) throws(ExitCode) in
                var r = SFTRecord(text: [], raw: record.raw, source: record.source, line: record.line)
                switch record.text {
                case .text(let t): r.text = t
                case .rejected(let why):
                    if why.rule == "empty" { return true }   // a blank line is no record
                    r.early = .invalidJSON(why.detail)
                }
                // A mixture repeats or samples conversations; every line is still checked once,
                // so a bad line is reported once whatever its number of copies.
                let copies = r.early == nil ? mixer?.copies(record) ?? 1 : 1
                if copies == 0 { r.keep = false }
                for k in 0..<max(1, copies) {
                    r.copy = k
                    pending.append(r)
                    pendingBytes += r.raw.count
                }
                if pending.count >= 64 || pendingBytes >= 1 << 18 {
                    guard try flush() else { return false }
                    if let total = source.totalBytes, total > 0 { progress.report("batch", Double(record.offset) / Double(total)) }
                }
                return true
            }
            if try flush(), try consume(pool.finish()) {
                builder.finishInput()
                _ = try drain(final: true)
            }
            if examples == 0 {
                throw fail(.dataError, "no record became an example (\(rejectedCount) rejected); nothing was written")
            }
            do {
                try writer?.finish()
                try megatron?.tokens.finish()
                try megatron?.mask.finish()
                try rejectedFile?.commit()
            } catch { throw fail(.ioError, error.description) }
        } catch let error as ExitCode {
            abortAll()
            progress.finish()
            throw error
        } catch {
            abortAll()
            progress.finish()
            throw fail(.ioError, "\(error)")
        }
        progress.report("batch", 1)
        progress.finish()
        if !quiet {
            var message = "tokki batch: \(examples) examples"
            if megatron != nil {
                message += " written as Megatron documents to \(megatronPrefix ?? "").bin/.idx and \(megatronPrefix ?? "")_loss_mask.bin/.idx"
            } else {
                message += " in \(rows) rows (\(batches) batches); wrote \(output)"
            }
            if let mixer { message += "; " + mixer.summary }
            if droppedTurns > 0 { message += "; \(droppedTurns) early turns removed to fit" }
            if cutExamples > 0 { message += "; \(cutExamples) examples cut at the end" }
            if rejectedCount > 0 {
                let rules = rejectedByRule.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                message += "; \(rejectedCount) records rejected (\(rules))"
                message += rejected.map { ", see \($0)" } ?? ", list them with --rejected FILE"
            }
            printError(message)
        }
    }
}

extension ChatExampleEncoder.Truncation: ExpressibleByArgument {}
extension SupervisedFineTuning.Packing: ExpressibleByArgument {}
