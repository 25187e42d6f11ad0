#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A folder of compiled models: the tables that loading a large model file builds (its
/// vocabulary hash table, its merges resolved to ids) stored as a binary image, named after
/// the file (or a hash of the bytes), so that the next process that loads the same file reads
/// them instead of building them again.
///
/// Loading a 150,000-token `tokenizer.json` parses 11 MB of JSON and builds two hash tables
/// (about 50 ms on one core); its image is read in a few milliseconds. A command-line tool
/// pays the load on every call, so `tokki` uses ``fromEnvironment()`` by default.
///
/// - Used for files of at least ``minimumSourceSize`` bytes: `tokenizer.json` with a BPE model,
///   tiktoken rank files and SentencePiece `.model` files (their vocabulary's trie or hash
///   tables; the 262k-piece unigram trie is most of such a model's load). Other files load as
///   before.
/// - An image is found only for the same file (its device, inode, size, and modification
///   and status-change times: any write to it changes them) or, for bytes that are not a
///   file, the same bytes (a 128-bit content hash and the size); the same image layout; and
///   the same program file (its size and modification time): a rebuilt or upgraded program
///   makes its own images.
/// - An image is checked before use: its own checksum, then every index in it against the
///   arrays it points into. An image that fails a check, or a folder that cannot be read or
///   written, is passed over silently and the model file loaded as without a cache: the
///   cache never changes what a model loads as, only how fast.
/// - Images are written atomically (a temporary file, then a rename). Deleting the folder at
///   any time is safe. At most ``maximumEntries`` images and ``maximumBytes`` bytes are kept;
///   the least recently used go first (an image read is marked used, at most once an hour),
///   and the image just written always stays.
///
/// ```swift
/// var options = TokenizerLoadOptions()
/// options.cache = ModelCache(directory: "/tmp/tokki-cache")
/// let tokenizer = try loadTokenizer(at: "qwen3/tokenizer.json", options: options)
/// ```
public struct ModelCache: Sendable, Equatable {
    /// The folder the images are in (created when the first image is written).
    public let directory: String

    /// Images of files smaller than this are not made: such files load in a few milliseconds.
    public static let minimumSourceSize = 1 << 20

    /// The most images kept in the folder.
    public static let maximumEntries = 64

    /// The default of ``maximumBytes``: 2 GiB (an image of a 200,000-token tokenizer.json
    /// takes about 30 MB).
    public static let defaultMaximumBytes = 2 << 30

    /// The most bytes of images kept in the folder (the image just written stays even when it
    /// alone is larger).
    public let maximumBytes: Int

    /// Images are made of files of at least this many bytes (``minimumSourceSize``; tests
    /// lower it).
    let minimumSize: Int

    /// A cache in `directory` that keeps at most `maximumBytes` bytes of images.
    public init(directory: String, maximumBytes: Int = ModelCache.defaultMaximumBytes) {
        self.init(directory: directory, minimumSize: Self.minimumSourceSize, maximumBytes: maximumBytes)
    }

    /// A cache that makes images of files of at least `minimumSize` bytes (tests and seeds).
    @_spi(Fuzzing)
    public init(directory: String, minimumSize: Int, maximumBytes: Int = ModelCache.defaultMaximumBytes) {
        self.directory = directory
        self.minimumSize = minimumSize
        self.maximumBytes = max(0, maximumBytes)
    }

    /// The cache the environment asks for: `TOKKI_MODEL_CACHE` set to `0`, `off`, `no` or
    /// `false` turns it off; otherwise the folder is `TOKKI_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/tokki/model-cache`, else `~/.cache/tokki/model-cache` (nil without a home).
    /// `TOKKI_CACHE_MAX_MB`, a whole number of mebibytes, sets ``maximumBytes`` (a value that
    /// is not a whole number ≥ 0 is ignored).
    /// The folder is its own, apart from `~/.cache/tokki/models`, where the fetch scripts keep
    /// downloaded models: pruning the cache only ever touches its folder.
    public static func fromEnvironment() -> ModelCache? { fromEnvironment(ProcessInfo.processInfo.environment) }

    /// ``fromEnvironment()`` of the variables `env`.
    static func fromEnvironment(_ env: [String: String]) -> ModelCache? {
        if let flag = env["TOKKI_MODEL_CACHE"]?.lowercased(), ["0", "off", "no", "false"].contains(flag) { return nil }
        var limit = defaultMaximumBytes
        if let text = env["TOKKI_CACHE_MAX_MB"], let mb = Int(text), mb >= 0, mb <= Int.max >> 20 { limit = mb << 20 }
        if let dir = env["TOKKI_CACHE_DIR"], !dir.isEmpty { return ModelCache(directory: dir, maximumBytes: limit) }
        if let xdg = env["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return ModelCache(directory: xdg + "/tokki/model-cache", maximumBytes: limit)
        }
        if let home = env["HOME"], home.hasPrefix("/") {
            return ModelCache(directory: home + "/.cache/tokki/model-cache", maximumBytes: limit)
        }
        return nil
    }

    /// What an image holds (part of its name and header).
    enum Kind: UInt32 {
        case tokenizerJSON = 1
        case tiktoken = 2
        /// A SentencePiece `.model` file's vocabulary tables (its trie or hash tables).
        case sentencePiece = 3
    }

    /// The layout version of the images; changed whenever any writer changes.
    static let layoutVersion: UInt32 = 3
    static let magic: UInt64 = 0x3143_4D49_4B4B_4F54  // "TOKKIMC1", little-endian
    static let headerSize = 64

    /// Names one source's image: by the hash of its bytes, or (``key(forFile:)``) by the
    /// identity of the file that holds them.
    struct Key: Sendable {
        /// What the image holds; nil for a file's key (whatever the file turns out to be: the
        /// image's header tells).
        let kind: Kind?
        let sourceSize: Int
        /// The hash of the bytes, or of the file's identity.
        let sourceHash: ContentHash.Digest
        let fileName: String
    }

    /// The key of `source` read as `kind`.
    func key(for source: ReadOnlyBytes, kind: Kind) -> Key {
        let digest = source.withUnsafeBufferPointer { ContentHash.digest(UnsafeRawBufferPointer($0)) }
        return Self.key(digest, size: source.count, kind: kind, prefix: "")
    }

    /// The key of the regular file at `path` by its identity — device, inode, size, and the
    /// times of its last modification and status change, in nanoseconds — so that a load
    /// finds its image without reading the file (hashing 11 MB and mapping it cost 4 ms of a
    /// 27 ms load). Any write to the file changes its status-change time, which no user can
    /// set back, and so its key. Nil for what is not a regular file of at least
    /// ``minimumSize`` bytes.
    func key(forFile path: String) -> Key? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) >= minimumSize else { return nil }
        #if canImport(Darwin)
        let (m, c) = (st.st_mtimespec, st.st_ctimespec)
        #else
        let (m, c) = (st.st_mtim, st.st_ctim)
        #endif
        var words: [UInt64] = [UInt64(truncatingIfNeeded: st.st_dev), UInt64(truncatingIfNeeded: st.st_ino), UInt64(st.st_size),
                               UInt64(bitPattern: Int64(m.tv_sec)), UInt64(bitPattern: Int64(m.tv_nsec)),
                               UInt64(bitPattern: Int64(c.tv_sec)), UInt64(bitPattern: Int64(c.tv_nsec))]
        let digest = words.withUnsafeMutableBytes { ContentHash.digest(UnsafeRawBufferPointer($0)) }
        return Self.key(digest, size: Int(st.st_size), kind: nil, prefix: "f-")
    }

    private static func key(_ digest: ContentHash.Digest, size: Int, kind: Kind?, prefix: String) -> Key {
        // The program's identity goes into the name only: images of two builds can coexist.
        var id = ContentHash.Digest(digest.0 ^ Self.programIdentity.0, digest.1 ^ Self.programIdentity.1)
        id.0 ^= UInt64(kind?.rawValue ?? 0) << 56 ^ UInt64(Self.layoutVersion) << 48
        let hex = String(id.0, radix: 16) + "-" + String(id.1, radix: 16)
        return Key(kind: kind, sourceSize: size, sourceHash: digest, fileName: "\(prefix)\(hex).tkc")
    }

    /// A hash of this program file's size and modification time (0 when unknown), so that a
    /// rebuilt program never reads the images an older build wrote.
    static let programIdentity: ContentHash.Digest = {
        var st = stat()
        // Linux: /proc/self/exe is the program file. `Bundle.main` would find it too, but makes
        // the main bundle first, which lists the program's folder (about 1 ms in /usr/bin).
        #if os(Linux)
        let direct = stat("/proc/self/exe", &st) == 0
        #else
        let direct = false
        #endif
        if !direct {
            guard let exe = Bundle.main.executablePath, stat(exe, &st) == 0 else { return (0, 0) }
        }
        return identity(of: st)
    }()

    /// The hash of a file's size, modification time and inode, as ``programIdentity`` takes it.
    static func identity(of st: stat) -> ContentHash.Digest {
        #if canImport(Darwin)
        let mtime = (Int(st.st_mtimespec.tv_sec), Int(st.st_mtimespec.tv_nsec))
        #else
        let mtime = (Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec))
        #endif
        var words: [UInt64] = [UInt64(st.st_size), UInt64(bitPattern: Int64(mtime.0)), UInt64(bitPattern: Int64(mtime.1)), UInt64(st.st_ino)]
        return words.withUnsafeMutableBytes { ContentHash.digest(UnsafeRawBufferPointer($0)) }
    }

    /// The checked image of `key`, or nil (none, unreadable, of another file or layout, or
    /// failing its checksum).
    func image(for key: Key) -> ImageReader? { imageAndKind(for: key)?.reader }

    /// ``image(for:)`` with what the image holds (its header's kind).
    func imageAndKind(for key: Key) -> (reader: ImageReader, kind: Kind)? {
        let path = directory + "/" + key.fileName
        guard let bytes = try? mapFileBytes(path, mapThreshold: 0), bytes.count >= Self.headerSize else { return nil }
        let kind: Kind? = bytes.withUnsafeBufferPointer { b in
            let raw = UnsafeRawBufferPointer(b)
            func word(_ i: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
            guard word(0) == Self.magic, word(1) >> 32 == UInt64(Self.layoutVersion),
                  let kind = Kind(rawValue: UInt32(truncatingIfNeeded: word(1))), key.kind == nil || key.kind == kind,
                  word(2) == UInt64(key.sourceSize), word(3) == key.sourceHash.0, word(4) == key.sourceHash.1,
                  word(5) == UInt64(raw.count - Self.headerSize) else { return nil }
            let sum = ContentHash.digest(UnsafeRawBufferPointer(rebasing: raw[Self.headerSize...]))
            return word(6) == sum.0 && word(7) == sum.1 ? kind : nil
        }
        guard let kind else { return nil }
        Self.markUsed(path)
        return (ImageReader(bytes: bytes, offset: Self.headerSize), kind)
    }

    /// Sets the modification time of the image at `path` to now when it is more than an hour
    /// old, so that pruning, which removes the oldest first, removes the least recently used
    /// (best effort; at most one metadata write an hour per image).
    static func markUsed(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        #if canImport(Darwin)
        let modified = st.st_mtimespec.tv_sec
        #else
        let modified = st.st_mtim.tv_sec
        #endif
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        if now.tv_sec - modified > 3600 { _ = utimensat(AT_FDCWD, path, nil, 0) }
    }

    /// Writes `image`, of a source read as `kind`, as the image of `key` (best effort: a
    /// failure leaves no file behind and is not reported; the cache is only an acceleration).
    func store(_ image: ImageWriter, for key: Key, kind: Kind) {
        let payload = image.bytes
        var header = [UInt64](repeating: 0, count: Self.headerSize / 8)
        let sum = payload.withUnsafeBytes { ContentHash.digest($0) }
        header[0] = Self.magic
        assert(key.kind == nil || key.kind == kind)
        header[1] = UInt64(Self.layoutVersion) << 32 | UInt64(kind.rawValue)
        header[2] = UInt64(key.sourceSize)
        header[3] = key.sourceHash.0
        header[4] = key.sourceHash.1
        header[5] = UInt64(payload.count)
        header[6] = sum.0
        header[7] = sum.1
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil else { return }
        let final = directory + "/" + key.fileName
        // Unique per process and per call: two threads may store the same image at once.
        let temporary = final + ".\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        var failed = header.withUnsafeBytes { writeAll(fd, $0) } != 0
        failed = failed || payload.withUnsafeBytes { writeAll(fd, $0) } != 0
        failed = close(fd) != 0 || failed
        if failed || rename(temporary, final) != 0 {
            unlink(temporary)
            return
        }
        prune(keeping: key.fileName)
    }

    /// Removes the least recently used images (the oldest modification times, see
    /// ``markUsed(_:)``) beyond ``maximumEntries`` images or ``maximumBytes`` bytes, never the
    /// image `kept` (the one just written); and temporary files that a process which stopped
    /// while writing left more than an hour ago.
    private func prune(keeping kept: String) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasSuffix(".tmp") {
            let path = directory + "/" + name
            if let date = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date, date.timeIntervalSinceNow < -3600 {
                try? fm.removeItem(atPath: path)
            }
        }
        // (name, modification time, size), oldest first; ties by name, so the order is fixed.
        var images: [(name: String, date: Date, size: Int)] = names.filter { $0.hasSuffix(".tkc") }.map { name in
            let attributes = try? fm.attributesOfItem(atPath: directory + "/" + name)
            return (name, attributes?[.modificationDate] as? Date ?? .distantPast, (attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
        images.sort { $0.date != $1.date ? $0.date < $1.date : $0.name < $1.name }
        var count = images.count
        var bytes = images.reduce(0) { $0 + $1.size }
        for image in images where image.name != kept {
            guard count > Self.maximumEntries || bytes > maximumBytes else { break }
            if (try? fm.removeItem(atPath: directory + "/" + image.name)) != nil {
                count -= 1
                bytes -= image.size
            }
        }
    }
}

/// A fast non-cryptographic 128-bit hash of a byte buffer (four independent 64-bit lanes over
/// 32-byte stripes, so it runs at memory speed), for naming and checking cache images.
enum ContentHash {
    typealias Digest = (UInt64, UInt64)

    static func digest(_ bytes: UnsafeRawBufferPointer) -> Digest {
        let n = bytes.count
        var a: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n), b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        var c: UInt64 = 0x1656_67B1_9E37_79F9, d: UInt64 = 0x85EB_CA77_C2B2_AE63
        @inline(__always) func mix(_ h: inout UInt64, _ w: UInt64) {
            h = (h ^ w) &* 0x9FB2_1C65_1E98_DF25
            h ^= h >> 29
        }
        var i = 0
        if let p = bytes.baseAddress {
            while i + 32 <= n {
                mix(&a, p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                mix(&b, p.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                mix(&c, p.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
                mix(&d, p.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
                i += 32
            }
            var tail: UInt64 = 0, shift: UInt64 = 0, lane = 0
            while i < n {
                tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
                if shift == 64 || i == n {
                    switch lane { case 0: mix(&a, tail); case 1: mix(&b, tail); case 2: mix(&c, tail); default: mix(&d, tail) }
                    lane += 1
                    tail = 0
                    shift = 0
                }
            }
        }
        @inline(__always) func finish(_ x: UInt64) -> UInt64 {
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let h1 = finish(a &+ finish(b ^ 0x5555) &+ (c << 17 | c >> 47) &+ finish(d))
        let h2 = finish(b &+ finish(c ^ 0xAAAA) &+ (d << 23 | d >> 41) &+ finish(a))
        return (h1, h2)
    }
}

/// Builds an image payload: integers and arrays of fixed-size elements, each array 8-byte
/// aligned with its element count and element size before it.
struct ImageWriter {
    private(set) var bytes: [UInt8] = []

    mutating func int(_ v: Int) {
        withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A section: what `body` writes, with its length before it (see ``ImageReader/section()``).
    mutating func section(_ body: (inout ImageWriter) -> Void) {
        var part = ImageWriter()
        body(&part)
        int(part.bytes.count)
        bytes.append(contentsOf: part.bytes)
    }

    /// Raw payload bytes (an image's payload copied as it is).
    mutating func append(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }

    /// `array` (elements of a type without references: integers and structs of integers).
    mutating func array<T>(_ array: [T]) {
        assert(_isPOD(T.self), "ImageWriter: \(T.self) holds references")
        int(array.count)
        int(MemoryLayout<T>.stride)
        array.withUnsafeBytes { bytes.append(contentsOf: $0) }
        while bytes.count % 8 != 0 { bytes.append(0) }
    }
}

/// Reads an ``ImageWriter`` payload back. Every read is bounds-checked: a short or malformed
/// image throws, never reads outside it.
struct ImageReader: @unchecked Sendable {
    // @unchecked: `bytes` is read-only.
    let bytes: ReadOnlyBytes
    private(set) var offset: Int
    /// Where this reader's part ends (the end of the bytes, or of a section).
    let end: Int

    init(bytes: ReadOnlyBytes, offset: Int = 0) {
        self.init(bytes: bytes, offset: offset, end: bytes.count)
    }

    private init(bytes: ReadOnlyBytes, offset: Int, end: Int) {
        self.bytes = bytes
        self.offset = offset
        self.end = end
    }

    /// Whether everything was read.
    var atEnd: Bool { offset == end }

    /// A reader of the next section (written by ``ImageWriter/section(_:)``); this reader
    /// moves past it. Sections can be read on different threads.
    mutating func section() throws(Malformed) -> ImageReader {
        let n = try int()
        guard n >= 0, n <= end - offset, n % 8 == 0 else { throw Malformed(offset: offset, problem: "a section of \(n) bytes runs past the end") }
        let part = ImageReader(bytes: bytes, offset: offset, end: offset + n)
        offset += n
        return part
    }

    /// Maps in the fresh pages of a large destination in one call before they are written
    /// (Linux's MADV_POPULATE_WRITE), rather than one page fault per 4 KB page. Advice: an
    /// older kernel answers EINVAL and the pages fault in as before.
    private static func populate(_ p: UnsafeMutableRawPointer, _ size: Int) {
        #if os(Linux)
        let page = 4096
        guard size >= 16 * page else { return }
        let first = (Int(bitPattern: p) + page - 1) & ~(page - 1), last = (Int(bitPattern: p) + size) & ~(page - 1)
        guard last > first, let start = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(start, last - first, 23)  // MADV_POPULATE_WRITE (Linux 5.14)
        #endif
    }

    /// The largest `field` of `words` and how many words are 0, in one pass without branches
    /// on the data (the compiler vectorizes it): how the hash tables of an image are checked.
    @inline(__always)
    static func highestAndZeros(_ words: TableArray<UInt64>, field: (UInt64) -> UInt64) -> (highest: UInt64, zeros: Int) {
        words.withUnsafeBufferPointer { highestAndZeros($0, field: field) }
    }

    /// ``highestAndZeros(_:field:)`` of an array.
    @inline(__always)
    static func highestAndZeros(_ words: [UInt64], field: (UInt64) -> UInt64) -> (highest: UInt64, zeros: Int) {
        words.withUnsafeBufferPointer { highestAndZeros($0, field: field) }
    }

    @inline(__always)
    private static func highestAndZeros(_ w: UnsafeBufferPointer<UInt64>, field: (UInt64) -> UInt64) -> (highest: UInt64, zeros: Int) {
        var highest: UInt64 = 0, zeros = 0
        for word in w {
            highest = max(highest, field(word))
            zeros &+= word == 0 ? 1 : 0
        }
        return (highest, zeros)
    }

    /// An array written by ``ImageWriter/array(_:)`` of the same element type, used in place
    /// in the image's mapping (``TableArray``) when the image is mapped and the array aligned
    /// for `T`, else copied (``array(_:)``). The caller keeps ``mappingOwner`` as long as the
    /// array lives.
    mutating func mappedArray<T>(_: T.Type) throws(Malformed) -> TableArray<T> {
        assert(_isPOD(T.self), "ImageReader: \(T.self) holds references")
        guard let base = bytes.mappedBase else { return TableArray(try array(T.self)) }
        var peek = self
        let count = try peek.int(), stride = try peek.int()
        guard stride == MemoryLayout<T>.stride else { throw Malformed(offset: peek.offset, problem: "element size \(stride), expected \(MemoryLayout<T>.stride)") }
        let (size, overflow) = count.multipliedReportingOverflow(by: stride)
        guard count >= 0, !overflow, size <= peek.end - peek.offset else { throw Malformed(offset: peek.offset, problem: "an array of \(count) runs past the end") }
        let start = UnsafeRawPointer(base) + peek.offset
        guard Int(bitPattern: start) % MemoryLayout<T>.alignment == 0 else { return TableArray(try array(T.self)) }
        assert(peek.offset + size <= bytes.count)
        offset = min(end, peek.offset + (size + 7) & ~7)
        return TableArray(mappedAt: start.assumingMemoryBound(to: T.self), count: count)
    }

    /// What keeps the image's mapping alive, for tables that use arrays in it
    /// (``mappedArray(_:)``): they must hold it.
    var mappingOwner: (any AnyObject & Sendable)? { bytes.mappingOwner }

    /// Throws unless everything was read.
    func expectEnd() throws(Malformed) {
        guard atEnd else { throw Malformed(offset: offset, problem: "\(end - offset) bytes left over") }
    }

    struct Malformed: Error {
        let offset: Int
        let problem: String
    }

    mutating func int() throws(Malformed) -> Int {
        guard offset >= 0 && offset + 8 <= end else { throw Malformed(offset: offset, problem: "truncated") }
        let v = bytes.withUnsafeBufferPointer { UnsafeRawBufferPointer($0).loadUnaligned(fromByteOffset: offset, as: Int64.self) }
        offset += 8
        return Int(Int64(littleEndian: v))
    }

    /// An array written by ``ImageWriter/array(_:)`` of the same element type.
    mutating func array<T>(_: T.Type) throws(Malformed) -> [T] {
        assert(_isPOD(T.self), "ImageReader: \(T.self) holds references")
        let count = try int(), stride = try int()
        guard stride == MemoryLayout<T>.stride else { throw Malformed(offset: offset, problem: "element size \(stride), expected \(MemoryLayout<T>.stride)") }
        let (size, overflow) = count.multipliedReportingOverflow(by: stride)
        guard count >= 0, !overflow, size <= end - offset else { throw Malformed(offset: offset, problem: "an array of \(count) runs past the end") }
        let start = offset
        let out = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBufferPointer { b in
                if size > 0, let dst = buffer.baseAddress, let src = b.baseAddress {
                    assert(start + size <= b.count && size <= buffer.count * MemoryLayout<T>.stride)
                    Self.populate(UnsafeMutableRawPointer(dst), size)
                    memcpy(UnsafeMutableRawPointer(dst), src + start, size)
                }
            }
            initialized = count
        }
        offset = min(end, offset + (size + 7) & ~7)
        return out
    }
}

extension ModelCache {
    /// Reads the payload of a cache image (the bytes after its header) as the cache does: a
    /// `tokenizer.json` image, or (`tiktoken`) a rank file's. For the fuzz targets.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the byte offset of what is
    ///   malformed.
    @_spi(Fuzzing)
    public static func tokenizer(imagePayload payload: [UInt8], tiktoken: Bool) throws(TokkiError) -> any Tokenizer {
        // Mapped, as the cache maps image files: the tables are then used in place (``TableArray``).
        var reader = ImageReader(bytes: ReadOnlyBytes(mappedCopyOf: payload))
        do {
            if tiktoken {
                let table = try TokenTable(image: &reader)
                try reader.expectEnd()
                return try TiktokenTokenizer(ranks: try TiktokenRanks(table: table, path: "image"), pattern: PretokenizationPattern.cl100k)
            }
            return try TokenizerJSON.loadCompiled(&reader, path: "image")
        } catch let error as TokkiError {
            throw error
        } catch let error as ImageReader.Malformed {
            throw .invalidModel(path: "image", problem: "byte offset \(error.offset): \(error.problem)")
        } catch {
            throw .invalidModel(path: "image", problem: "\(error)")
        }
    }

    /// Reads the payload of a `.model` file's cache image as the loader does, checked against
    /// `model` (the model the image would be of), and prepares `model` with its tables. For the
    /// fuzz targets.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the byte offset of what is
    ///   malformed.
    @_spi(Fuzzing)
    public static func sentencePieceTokenizer(imagePayload payload: [UInt8], model: SentencePieceModel) throws(TokkiError) -> SentencePieceTokenizer {
        var reader = ImageReader(bytes: ReadOnlyBytes(mappedCopyOf: payload))
        let tables: SentencePieceVocabulary.Tables
        do {
            tables = try SentencePieceVocabulary.Tables(image: &reader, model: model)
        } catch {
            throw .invalidModel(path: "image", problem: "byte offset \(error.offset): \(error.problem)")
        }
        return try SentencePieceTokenizer(model: model, tables: tables)
    }
}
