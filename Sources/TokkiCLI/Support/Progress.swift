import Foundation

/// Progress on stderr: a bar on a terminal (redrawn at most 5 times a second), a plain line
/// every 5 seconds otherwise (none for a job done sooner), nothing with `--quiet`. Each phase shows its elapsed time; phases
/// with a known fraction show a bar, the percentage and an ETA, counting phases (`reading`
/// lines, `EM` rounds) their count and rate.
///
/// `TOKKI_PROGRESS=bar|plain|off` forces a mode and `TOKKI_PROGRESS_INTERVAL=SECONDS` the
/// redraw interval (used by the tests).
final class Progress: @unchecked Sendable {
    enum Mode: String { case bar, plain, off }
    let mode: Mode
    let interval: Double
    var last = Date.distantPast
    var phase = ""
    var phaseStart = Date()
    var shown = false
    let lock = NSLock()

    /// Phases that count things rather than progress towards a known end, and their unit.
    static let countingPhases = ["reading": "lines", "EM": "rounds", "seeding": "steps"]

    init(quiet: Bool) {
        let env = ProcessInfo.processInfo.environment
        let forced = env["TOKKI_PROGRESS"].flatMap(Mode.init(rawValue:))
        mode = quiet ? .off : (forced ?? (isatty(2) != 0 ? .bar : .plain))
        interval = env["TOKKI_PROGRESS_INTERVAL"].flatMap(Double.init) ?? (mode == .bar ? 0.2 : 5)
        // Plain lines start after the first interval: a job shorter than that logs nothing.
        if mode == .plain { last = Date() }
    }

    /// `value`: the fraction done for most phases, a count for counting phases.
    func report(_ phase: String, _ value: Double) {
        guard mode != .off else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        if phase != self.phase {
            self.phase = phase
            phaseStart = now
        }
        guard now.timeIntervalSince(last) >= interval else { return }
        last = now
        let text = Self.describe(phase, value, elapsed: now.timeIntervalSince(phaseStart))
        FileHandle.standardError.write(Data((mode == .bar ? "\r\u{1B}[K" + text : text + "\n").utf8))
        shown = true
    }

    /// One progress line.
    static func describe(_ phase: String, _ value: Double, elapsed: Double) -> String {
        if let unit = countingPhases[phase] {
            let rate = elapsed > 0 ? Int(value / elapsed) : 0
            return "\(phase): \(Int(value)) \(unit), \(rate) \(unit)/s, \(clock(elapsed))"
        }
        let f = min(1, max(0, value))
        let width = 30, filled = Int(f * Double(width))
        var text = "\(phase) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(Int(f * 100))% \(clock(elapsed))"
        if f >= 0.01 && f < 1 { text += ", ETA \(clock(elapsed * (1 - f) / f))" }
        return text
    }

    /// m:ss.
    static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        return "\(s / 60):" + (s % 60 < 10 ? "0" : "") + "\(s % 60)"
    }

    /// Clears the bar.
    func finish() {
        guard mode == .bar, shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
