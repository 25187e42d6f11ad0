// Fuzzes the embedding-matrix reader (`EmbeddingMatrix.read`, `tokki extend --embeddings`):
// the input is a `.safetensors` or `.npy` file. A matrix that reads is extended by a few
// rows (means of existing rows) and written back in both formats, and re-read.
import FuzzSupport
import TokkiData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let m = try? EmbeddingMatrix.read(bytes, path: "fuzz"), m.rows > 0, m.rows * m.columns <= 1 << 20 else { return 0 }
    let sources = [[0], [m.rows - 1, 0], []]
    if let e = try? m.extended(from: m.rows, sources: sources) {
        _ = try? EmbeddingMatrix.read(e.safetensorsFile(), path: "back")
        _ = try? EmbeddingMatrix.read(e.npyFile(), path: "back.npy")
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
