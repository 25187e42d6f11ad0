import ArgumentParser
import Foundation
import Tokki
import TokkiData
import TokkiObjectives
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encoded documents kept on disk between the two passes of `tokki batch` into one safetensors
/// file: the first pass appends every document the builder took, the second reads them back in
/// the same order. The file is removed from its folder as soon as it is open, so nothing is left
/// behind whatever happens to the process.
///
/// A record: the token count (UInt32), a flags byte (1 = word ids follow, 2 = labels follow),
/// then the ids and the optional arrays as native Int32 (the same process reads them back).
final class DocumentSpool {
    /// Where the file was created (for messages; it has no name any more).
    let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes written (buffered included).
    private(set) var size = 0
    /// Documents written.
    private(set) var count = 0

    /// Creates the (unnamed) file in `folder`.
    init(folder: String) throws(DataError) {
        path = (folder.isEmpty ? "." : folder) + "/.tokki-documents-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).spool"
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .io(path: path, reason: "cannot create the document spool (\(String(cString: strerror(errno))))")
        }
        unlink(path)
        buffer.reserveCapacity(1 << 20)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends one document.
    func append(_ document: Document) throws(DataError) {
        guard document.ids.count <= Int(UInt32.max) else {
            throw .mismatch("\(path): a document of \(document.ids.count) tokens is too long to spool")
        }
        // Records are read back by the ids' count: every array must have one value per id.
        guard document.wordIDs.map({ $0.count == document.ids.count }) ?? true,
              document.labels.map({ $0.count == document.ids.count }) ?? true else {
            throw .mismatch("\(path): a document's word ids or labels are not one per token")
        }
        var flags: UInt8 = 0
        if document.wordIDs != nil { flags |= 1 }
        if document.labels != nil { flags |= 2 }
        withUnsafeBytes(of: UInt32(document.ids.count)) { buffer.append(contentsOf: $0) }
        buffer.append(flags)
        document.ids.withUnsafeBytes { buffer.append(contentsOf: $0) }
        if let w = document.wordIDs { w.withUnsafeBytes { buffer.append(contentsOf: $0) } }
        if let l = document.labels { l.withUnsafeBytes { buffer.append(contentsOf: $0) } }
        count += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws(DataError) {
        guard !buffer.isEmpty else { return }
        let failure = buffer.withUnsafeBytes { writeAll(fd, $0) }
        size += buffer.count
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 { throw .io(path: path, reason: "write failed: \(String(cString: strerror(failure)))") }
    }

    /// Calls `body` with every document, in the order they were appended, until it returns
    /// false.
    func forEach(_ body: (Document) throws(ExitCode) -> Bool) throws(ExitCode) -> DataError? {
        do { try flush() } catch { return error }
        let total = size
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var filled = 0, used = 0, offset = 0   // offset: file position of chunk[filled]
        /// Makes `need` unread bytes available at `chunk[used...]`; an error at a short file.
        func ensure(_ need: Int) -> DataError? {
            if filled - used >= need { return nil }
            if used > 0 {
                chunk.withUnsafeMutableBytes { raw in
                    // Moves the unread tail [used, filled) to the front; both within `raw`.
                    assert(filled <= raw.count)
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + used, byteCount: filled - used)
                }
                filled -= used
                used = 0
            }
            if chunk.count < need { chunk += [UInt8](repeating: 0, count: need - chunk.count) }
            while filled < need {
                let want = min(chunk.count - filled, total - offset)
                guard want > 0 else { return .io(path: path, reason: "the document spool ends early, at byte \(offset)") }
                let n = chunk.withUnsafeMutableBytes { raw in
                    // Reads into [filled, filled + want) ⊆ raw.
                    assert(filled + want <= raw.count)
                    return pread(fd, raw.baseAddress! + filled, want, off_t(offset))
                }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    return .io(path: path, reason: "cannot read the document spool at byte \(offset): \(n < 0 ? String(cString: strerror(errno)) : "end of file")")
                }
                filled += n
                offset += n
            }
            return nil
        }
        func int32s(_ n: Int) -> [Int32] {
            let start = used
            used += 4 * n
            return [Int32](unsafeUninitializedCapacity: n) { out, initialized in
                chunk.withUnsafeBytes { raw in
                    // [start, start + 4n) was made available by `ensure`.
                    assert(start + 4 * n <= raw.count)
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 4 * n)]))
                }
                initialized = n
            }
        }
        var read = 0
        while read < count {
            if let e = ensure(5) { return e }
            let n = chunk.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: used, as: UInt32.self)) }
            let flags = chunk[used + 4]
            used += 5
            let arrays = 1 + (flags & 1 != 0 ? 1 : 0) + (flags & 2 != 0 ? 1 : 0)
            if let e = ensure(4 * n * arrays) { return e }
            let ids = int32s(n)
            let words = flags & 1 != 0 ? int32s(n) : nil
            let labels = flags & 2 != 0 ? int32s(n) : nil
            read += 1
            guard try body(Document(ids: ids, wordIDs: words, labels: labels)) else { break }
        }
        return nil
    }
}
