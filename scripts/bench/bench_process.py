#!/usr/bin/env python3
"""Whole-process benchmark: `tokki encode` against the reference libraries, model loading
included, on every published model in .models/ and the issue-15 shapes; then 2-thread scaling
of encode, stats, prepare and batch; then peak memory.

    python3 scripts/bench/bench_process.py --tokki BIN [--inputs ko_help.txt,constitution.txt]
        [--repeat 3] [--scaling-repeat 5] [--models WORD,...] [--no-scaling] [--markdown OUT.md]

Run by scripts/bench/bench_process.sh (which builds the release binary, installs the pinned
references and fetches the files). For each model and input:
  * reference: scripts/bench/process_reference.py MODEL FILE OUT (one thread; load, read,
    encode, write timed inside the process; interpreter start-up and import not counted);
    best of `--ref-repeat` runs (default 1);
  * Tokki: the wall time of the whole process `tokki encode --model MODEL --input FILE
    --threads 1 > OUT`, start-up and loading included; best of `--repeat` runs;
  * load: Tokki's whole process on empty input (start-up + loading), best of `--repeat`, next
    to the reference's in-process load time;
  * the outputs are compared byte for byte.
Floors (issue 15), judged on the first input (the Korean prose corpus): whole process >= 3x
sentencepiece for .model files, >= 10x tokenizers / tiktoken for the others; load <= half the
reference's or < 60 ms; peak RSS <= 1.5x the reference's. Other inputs are reported only. Id mismatches make the
script exit 1; missed floors are reported, not fatal.
Scaling: `--threads 2` against `--threads 1` on the largest input for encode (several models),
stats, prepare and batch (shipped default vocabulary; masked LM with rows of 128, one line per
row, and causal packing in rows of 2048), then on `--scaling-copies` copies of it (default 4;
the masked-LM batch left out: its output is 45 times its input) so that loading the model is a
small part; outputs must be byte-identical. Each run's outputs are removed before it, untimed. One and two
threads alternate, best of `--scaling-repeat` runs each (default 5): this machine is shared, and a
slow period must not fall on one side only. After batch, a "disk" row: the best time to write as
many bytes as its output in 4 MB pieces and fsync them (what the disk allows: batch's second pass
writes its file that way).
Memory: peak resident set of each side's process (os.wait4), encode of the largest input.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))

# tiktoken files whose pattern is not chosen from the name: (file, pattern name in
# make_published_tokenizer_expectations.tiktoken_patterns()).
TIKTOKEN_PATTERNS = {
    "r50k_base.tiktoken": "r50k", "p50k_base.tiktoken": "p50k", "cl100k_base.tiktoken": "cl100k",
    "o200k_base.tiktoken": "o200k", "whisper_multilingual.tiktoken": "gpt2", "qwen.tiktoken": "qwen",
    "llama4.tiktoken": "llama4", "llama3.tiktoken": None,
}
SKIP = {"tortoise_tts.tokenizer.json"}  # 256-token English toy: not a Korean model


# A child forked from this (large) Python process starts with its pages counted in its peak
# RSS; GNU time forks from a small process, so it measures the command alone.
GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def measured(cmd, rss_file):
    return [GNU_TIME, "-f", "%M", "-o", rss_file] + cmd if GNU_TIME else cmd


def peak_kb(rss_file, usage):
    if GNU_TIME:
        try:
            return int(open(rss_file).read().split()[-1])
        except (OSError, ValueError, IndexError):
            return 0
    return usage.ru_maxrss


# Tokki without its model cache (every load builds the tables from the file).
NO_CACHE = dict(os.environ, TOKKI_MODEL_CACHE="0")


def run(cmd, stdin=None, stdout=None, env=None):
    """(seconds, peak RSS in KB, stderr) of one process (the GNU time wrapper adds ~1 ms)."""
    rss_file = os.path.join(tempfile.gettempdir(), f"tokki-bench-rss.{os.getpid()}")
    t0 = time.perf_counter()
    p = subprocess.Popen(measured(cmd, rss_file), stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    err = p.stderr.read().decode("utf-8", "replace")
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"failed ({code}): {' '.join(cmd)}\n{err}")
    return dt, peak_kb(rss_file, usage), err


def best_tokki(cmd, repeat, inp=None, out=None, env=None):
    best, rss = float("inf"), 0
    for _ in range(repeat):
        with open(inp or os.devnull, "rb") as fi, open(out or os.devnull, "wb") as fo:
            dt, r, _ = run(cmd, stdin=fi, stdout=fo, env=env)
        best, rss = min(best, dt), max(rss, r)
    return best, rss


def disk_write_time(path, size, repeat):
    """Best time to write `size` bytes to a new file in 4 MB pieces and fsync it."""
    piece = bytes(4 << 20)
    best = float("inf")
    for _ in range(repeat):
        if os.path.exists(path):
            os.remove(path)
        t0 = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        left = size
        while left > 0:
            left -= os.write(fd, piece[:min(left, len(piece))])
        os.fsync(fd)
        os.close(fd)
        best = min(best, time.perf_counter() - t0)
        os.remove(path)
    return best


def reference(model, file, out, pattern, repeat):
    cmd = [sys.executable, os.path.join(HERE, "process_reference.py"), model, file, out]
    if pattern:
        cmd += ["--pattern", pattern]
    best = None
    rss = 0
    rss_file = os.path.join(tempfile.gettempdir(), f"tokki-bench-rss-ref.{os.getpid()}")
    for _ in range(repeat):
        p = subprocess.Popen(measured(cmd, rss_file), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        text = p.stdout.read().decode()
        err = p.stderr.read().decode()
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"reference failed: {' '.join(cmd)}\n{err}")
        line = next(x for x in text.splitlines() if x.startswith("RESULT "))
        r = dict(kv.split("=", 1) for kv in line.split()[1:])
        r = {k: float(v) for k, v in r.items()}
        if best is None or r["total_s"] < best["total_s"]:
            best = r
        rss = max(rss, peak_kb(rss_file, usage))
    best["rss_kb"] = rss
    return best


def family(model):
    name = os.path.basename(model)
    if name.endswith(".model"):
        return "sentencepiece"
    if name.endswith(".tiktoken"):
        return "tiktoken"
    if name.startswith("mistral_tekken"):
        return "tekken"
    return "tokenizers"


def table(head, rows):
    width = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, width)) + " |",
           "|" + "|".join("-" * (w + 2) for w in width) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, width)) + " |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description="whole-process encode benchmark")
    ap.add_argument("--tokki", required=True)
    ap.add_argument("--inputs", default="ko_help.txt,constitution.txt")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scaling-repeat", type=int, default=5)
    ap.add_argument("--ref-repeat", type=int, default=1)
    ap.add_argument("--models", help="comma-separated words; only models whose file name contains one")
    ap.add_argument("--no-scaling", action="store_true")
    ap.add_argument("--scaling-copies", type=int, default=4,
                    help="scaling is also measured on this many copies of the largest input")
    ap.add_argument("--markdown", help="also write the report here")
    a = ap.parse_args()

    from make_published_tokenizer_expectations import tiktoken_patterns
    patterns = tiktoken_patterns()
    models_dir = os.path.join(ROOT, ".models")
    corpus = os.path.join(ROOT, ".corpus")
    names = sorted(f for f in os.listdir(models_dir)
                   if (f.endswith(".model") or f.endswith(".tokenizer.json") or f.endswith(".tiktoken")
                       or (f.startswith("mistral_tekken") and f.endswith(".json") and not f.endswith(".expected.json")))
                   and f not in SKIP)
    if a.models:
        words = a.models.split(",")
        names = [n for n in names if any(w in n for w in words)]
    inputs = [os.path.join(corpus, x) for x in a.inputs.split(",")]
    for f in inputs:
        if not os.path.exists(f):
            sys.exit(f"missing input {f}: run scripts/fetch/fetch_corpus.sh")

    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    report = [f"Whole process, one thread, commit {commit}, {cpu}, {os.cpu_count()} cores, "
              f"{time.strftime('%Y-%m-%d')}.", ""]
    tmp = tempfile.mkdtemp(prefix="tokki-bench-process.")
    # A model cache of this run only: its first load of each file builds the image.
    os.environ["TOKKI_CACHE_DIR"] = os.path.join(tmp, "model-cache")
    os.environ.pop("TOKKI_MODEL_CACHE", None)
    NO_CACHE.update(TOKKI_CACHE_DIR=os.environ["TOKKI_CACHE_DIR"])
    rows, misses, mismatches = [], [], []
    for inp in inputs:
        size = os.path.getsize(inp)
        for name in names:
            model = os.path.join(models_dir, name)
            fam = family(model)
            pname = TIKTOKEN_PATTERNS.get(name) if fam == "tiktoken" else None
            if fam == "tiktoken" and name not in TIKTOKEN_PATTERNS:
                continue
            regex = patterns[pname] if pname else None
            ref_out, tok_out = os.path.join(tmp, "ref.ids"), os.path.join(tmp, "tok.ids")
            ref = reference(model, inp, ref_out, regex, a.ref_repeat)
            cmd = [a.tokki, "encode", "--model", model, "--threads", "1"] + (["--pattern", regex] if regex else [])
            # Without the cache first (every load builds the tables), then the default: the
            # first of those runs writes the cache image and is not counted.
            cold_total, _ = best_tokki(cmd + ["--input", inp], a.repeat, out=tok_out, env=NO_CACHE)
            cold_same = open(ref_out, "rb").read() == open(tok_out, "rb").read()
            cold_load, _ = best_tokki(cmd, a.repeat, env=NO_CACHE)
            best_tokki(cmd, 1)
            total, rss = best_tokki(cmd + ["--input", inp], a.repeat, out=tok_out)
            load, _ = best_tokki(cmd, a.repeat)
            same = cold_same and open(ref_out, "rb").read() == open(tok_out, "rb").read()
            if not same:
                mismatches.append(f"{name} on {os.path.basename(inp)}")
            ratio = ref["total_s"] / total
            cold_ratio = ref["total_s"] / cold_total
            floor = 3.0 if fam == "sentencepiece" else 10.0
            # The load floor holds without the cache.
            load_ok = cold_load <= ref["load_s"] / 2 or cold_load < 0.060
            mb = size / 1e6
            # Below 2 ms (a small corpus: the two timings are within each other's noise) the
            # difference measures nothing.
            encode_only = f"{mb / (total - load):.0f}" if total - load > 0.002 else "-"
            rows.append([os.path.basename(inp), name, fam,
                         f"{mb / ref['total_s']:.1f}", f"{mb / total:.1f}", encode_only, f"{ratio:.2f}x",
                         f"{cold_ratio:.2f}x", f"{floor:.0f}x",
                         f"{ref['load_s'] * 1e3:.0f}", f"{load * 1e3:.0f}", f"{cold_load * 1e3:.0f}",
                         f"{ref['rss_kb'] / 1024:.0f}", f"{rss / 1024:.0f}",
                         "yes" if same else "NO"])
            if ratio < floor and inp == inputs[0]:
                misses.append(f"throughput {name} on {os.path.basename(inp)}: {ratio:.2f}x < {floor:.0f}x")
            if cold_ratio < floor and inp == inputs[0]:
                misses.append(f"throughput without the model cache {name} on {os.path.basename(inp)}: {cold_ratio:.2f}x < {floor:.0f}x")
            if rss > 1.5 * ref["rss_kb"] and inp == inputs[0]:
                misses.append(f"memory {name}: {rss / 1024:.0f} MB vs reference {ref['rss_kb'] / 1024:.0f} MB")
            if not load_ok and inp == inputs[0]:
                misses.append(f"load without the model cache {name}: {cold_load * 1e3:.0f} ms vs reference {ref['load_s'] * 1e3:.0f} ms")
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    report.append(table(["input", "model", "reference", "ref MB/s", "Tokki MB/s", "Tokki MB/s w/o load", "ratio",
                         "ratio, no cache", "floor", "ref load ms", "Tokki load ms", "Tokki load ms, no cache",
                         "ref RSS MB", "Tokki RSS MB", "identical"], rows))
    report.append("")
    report.append("MB/s = input bytes / whole time (Tokki: the process's wall time, start-up and loading "
                  "included; reference: load + read + encode + write inside Python, start-up and import "
                  "not counted). Tokki load = the whole process on empty input; \"w/o load\" = input bytes / "
                  "(whole time - load time): reading, encoding and writing ids on one core (\"-\" when the "
                  "difference is under 2 ms, too little to measure). Tokki runs as a user runs it: with its "
                  "model cache (tokenizer.json BPE, .tiktoken and .model files of 1 MB or more load their built tables "
                  "from an image the first load wrote; that first run is not counted). \"no cache\": "
                  "TOKKI_MODEL_CACHE=0, every load builds the tables from the file; the load floor is checked "
                  "on that column, the throughput floors on both.")

    if not a.no_scaling:
        big = max(inputs, key=os.path.getsize)
        # The same text repeated: a corpus large enough that loading the model (serial, paid
        # once) is a small part, as in real use. The masked-LM batch stays on one copy (its
        # int64 tensors are about 45 times the input).
        many = os.path.join(tmp, f"{a.scaling_copies}x-{os.path.basename(big)}")
        with open(many, "wb") as f:
            data = open(big, "rb").read()
            for _ in range(a.scaling_copies):
                f.write(data)
        shipped = os.path.join(ROOT, "Vocab", "tokki-ko-bpe-16k.model")
        scaling_models = [shipped] + [os.path.join(models_dir, n) for n in
                                      ("llama2.model", "gemma3.model", "qwen3.tokenizer.json", "o200k_base.tiktoken")
                                      if n in names]

        def jobs_for(inp, with_batch):
            jobs = []
            for m in scaling_models:
                pname = TIKTOKEN_PATTERNS.get(os.path.basename(m)) if m.endswith(".tiktoken") else None
                extra = ["--pattern", patterns[pname]] if pname else []
                jobs.append((f"encode {os.path.basename(m)}", ["encode", "--model", m, "--input", inp] + extra))
            jobs.append(("stats (shipped)", ["stats", "--model", shipped, "--input", inp]))
            jobs.append(("prepare (shipped)", ["prepare", "--model", shipped, "--input", inp, "--quiet",
                                               "--output-prefix", os.path.join(tmp, "prep-THREADS")]))
            if with_batch:
                jobs.append(("batch mlm (shipped)", ["batch", "--objective", "mlm", "--model", shipped, "--input", inp,
                                                     "--seq-len", "128", "--output", os.path.join(tmp, "batch-THREADS.safetensors")]))
            # Causal packing (GPT-style pre-training): no padding, so the output is about 9 times
            # the input, and on both inputs.
            jobs.append(("batch causal (shipped)", ["batch", "--objective", "causal", "--model", shipped, "--input", inp,
                                                    "--seq-len", "2048", "--output", os.path.join(tmp, "causal-THREADS.safetensors")]))
            return jobs

        def outputs(args, t):
            return [f for x in args if "THREADS" in x
                    for f in (x.replace("THREADS", str(t)), x.replace("THREADS", str(t)) + ".bin",
                              x.replace("THREADS", str(t)) + ".idx")]

        for inp, with_batch in ((big, True), (many, False)):
            srows = []
            for label, args in jobs_for(inp, with_batch):
                times = {1: float("inf"), 2: float("inf")}
                # One and two threads alternate (1 2, 2 1, 1 2, ...), so that a slow period of
                # this shared machine falls on both sides alike; best of --scaling-repeat each.
                for r in range(a.scaling_repeat):
                    for t in ((1, 2) if r % 2 == 0 else (2, 1)):
                        cmd = [a.tokki] + [x.replace("THREADS", str(t)) for x in args] + ["--threads", str(t)]
                        out = os.path.join(tmp, f"scale-{t}.out")
                        # The previous run's outputs are removed first, outside the timing: the
                        # kernel freeing hundreds of MB is not this run's work.
                        for f in outputs(args, t):
                            if os.path.exists(f):
                                os.remove(f)
                        dt, _ = best_tokki(cmd, 1, out=out)
                        times[t] = min(times[t], dt)
                outs = {t: open(os.path.join(tmp, f"scale-{t}.out"), "rb").read()
                        + b"".join(open(f, "rb").read() for f in outputs(args, t) if os.path.exists(f)) for t in (1, 2)}
                speedup = times[1] / times[2]
                same = outs[1] == outs[2]
                srows.append([label, f"{times[1]:.3f}", f"{times[2]:.3f}", f"{speedup:.2f}x", "yes" if same else "NO"])
                where = os.path.basename(inp)
                if speedup < 1.7:
                    misses.append(f"scaling {label} on {where}: {speedup:.2f}x < 1.7x")
                if not same:
                    mismatches.append(f"{label} on {where}: 1 and 2 threads differ")
                print(" | ".join(srows[-1]), file=sys.stderr, flush=True)
                if label.startswith("batch"):
                    # What the disk allows: writing as many bytes in 4 MB pieces, then fsync, as
                    # `batch` writes them. A run cannot end before its output is on the disk.
                    size = sum(os.path.getsize(f) for f in outputs(args, 1) if os.path.exists(f))
                    disk = disk_write_time(os.path.join(tmp, "disk-probe"), size, a.scaling_repeat)
                    srows.append([f"disk: writing {size / 1e6:.0f} MB, fsync included", f"{disk:.3f}", f"{disk:.3f}", "-", "-"])
                    print(" | ".join(srows[-1]), file=sys.stderr, flush=True)
            # What two cores give at best here: two independent one-thread processes at once
            # against one alone (same job), as aggregate throughput.
            base = [a.tokki, "encode", "--model", shipped, "--input", inp, "--threads", "1"]
            alone, _ = best_tokki(base, a.repeat)
            pair = float("inf")
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                with open(os.devnull, "wb") as null:
                    procs = [subprocess.Popen(base, stdout=null, stderr=subprocess.DEVNULL) for _ in range(2)]
                    for p in procs:
                        p.wait()
                pair = min(pair, time.perf_counter() - t0)
            ceiling = 2 * alone / pair
            srows.append(["ceiling: 2 one-thread processes at once", f"{alone:.3f}", f"{pair:.3f} (both)", f"{ceiling:.2f}x", "-"])
            report.append("")
            report.append(f"Scaling on {os.path.basename(inp)} ({os.path.getsize(inp) / 1e6:.1f} MB; whole process, seconds, "
                          f"best of {a.scaling_repeat}, one and two threads alternating; the last row is the machine's own ceiling: the aggregate speed-up of two "
                          f"independent one-thread processes):")
            report.append("")
            report.append(table(["job", "1 thread", "2 threads", "speed-up", "identical"], srows))

    report.append("")
    report.append("Floors missed: " + ("none" if not misses else ""))
    report.extend(f"- {m}" for m in misses)
    if mismatches:
        report.append("")
        report.append("OUTPUT MISMATCHES:")
        report.extend(f"- {m}" for m in mismatches)
    text = "\n".join(report)
    print(text)
    if a.markdown:
        with open(a.markdown, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
