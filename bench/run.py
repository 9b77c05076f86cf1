#!/usr/bin/env python3
"""The macro benchmarks of issue 12, run by bench/run (which builds the release preset first).

Every figure is a ratio against a reference measured in the same run, on the same input:

  whole process   `gradient-gateway analyze` against bench/reference_analysis.py (plain Python, the same ratios and
                  derived values) on a generated hormone feed, both as whole processes writing to /dev/null,
                  alternating, median of --rounds, after the feed was read once untimed (so that neither pays
                  for reading it from disk: the gateway ran first in each round, and this machine's page cache
                  was seen dropping files between runs)
  pipeline        analyze on one thread (scan, decode, normalise, compute, author) against simdjson iterate_many
                  reading one field per document of the same bytes (bench/stream_bench), on the feed of mostly
                  non-hormone Observations (as exports are) and on the hormone feed; on the hormone feed also
                  against a walk of every value of the same bytes (what any decoder that validates every element
                  pays at least)
  filter          the scan before decoding, on the feed of mostly non-hormone Observations, against the same walk
  memory          peak resident memory of analyze on a large feed grouped by patient and ordered by type ($export),
                  and on a feed a tenth of the size grouped by patient (memory must not grow with patients there)

Feeds come from bench/synth_hospital.py (seeded, so every run reads the same bytes) and are kept in --data between
runs. Nothing asserts a speed: the script fails only when a program fails or the outputs disagree.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
BIN = TOP / "build" / "release" / "bin"
AS_OF = "2026-12-01T00:00:00Z"

SCALES = {
    # whole-process patients, filter-feed patients, memory-feed patients
    "full": {"whole": 20000, "filter": 400, "memory": 100000},
    "smoke": {"whole": 300, "filter": 20, "memory": 2000},
}


def generate(data, patients, layout, other_share, seed=1):
    """The feed for these arguments, generated once into data/ (a file, or a directory for by-type and bundles)."""
    name = f"synth-{patients}-{layout}-{other_share:g}-{seed}"
    path = data / (name + (".ndjson" if layout == "grouped" else ""))
    done = data / (name + ".done")
    if done.exists():
        return path
    print(f"generating {name} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, str(TOP / "bench" / "synth_hospital.py"), "--patients", str(patients),
                    "--seed", str(seed), "--layout", layout, "--other-share", str(other_share),
                    "--out", str(path)], check=True)
    done.touch()
    return path


def inputs_of(path):
    """The files analyze reads for a feed: the file itself, or a directory's files in $export's order."""
    if path.is_file():
        return [str(path)]
    order = {"Patient.ndjson": 0, "Medication.ndjson": 1}
    return [str(p) for p in sorted(path.iterdir(), key=lambda p: (order.get(p.name, 2), p.name))
            if p.suffix in (".ndjson", ".json")]


def run_measured(command):
    """Runs a command with its output discarded; returns its wall time in seconds."""
    with open(os.devnull, "wb") as null:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=null, stderr=subprocess.PIPE)
        _, stderr = process.communicate()
        wall = time.perf_counter() - start
    if process.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({process.returncode}): {stderr.decode(errors='replace')[-2000:]}")
    return wall


def peak_rss_mb(command):
    """Peak resident memory of one run of command (its output discarded), from wait4's rusage (ru_maxrss, KB)."""
    with open(os.devnull, "wb") as null:
        process = subprocess.Popen(command, stdout=null, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({process.returncode})")
    return usage.ru_maxrss / 1024


def analyze_command(files, extra=()):
    return [str(BIN / "gradient-gateway"), "analyze", "--as-of", AS_OF, *extra, *files]


def reference_command(files):
    return [sys.executable, str(TOP / "bench" / "reference_analysis.py"), *files]


def read_once(files):
    """Reads files to their end, so that the runs after find them in the page cache."""
    for name in files:
        with open(name, "rb") as f:
            while f.read(8 << 20):
                pass


def whole_process(data, patients, rounds):
    feed = generate(data, patients, "grouped", 0.0)
    files = inputs_of(feed)
    size_mb = sum(Path(f).stat().st_size for f in files) / 1e6
    read_once(files)
    gateway, python = [], []
    for _ in range(rounds):  # alternating, so a slower period of the machine hits both
        gateway.append(run_measured(analyze_command(files)))
        python.append(run_measured(reference_command(files)))
    g, p = statistics.median(gateway), statistics.median(python)
    return {"feed": feed.name, "input_mb": round(size_mb, 1), "patients": patients, "rounds": rounds,
            "gateway_s": round(g, 3), "python_s": round(p, 3), "x_python": round(p / g, 2),
            "gateway_runs_s": [round(x, 3) for x in gateway], "python_runs_s": [round(x, 3) for x in python]}


def stream_bench(feed, rounds):
    out = subprocess.run([str(BIN / "stream_bench"), "--rounds", str(rounds), "--as-of", AS_OF, str(feed)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def memory(data, patients):
    results = {}
    for layout in ("grouped", "by-type"):
        feed = generate(data, patients, layout, 0.0)
        results[layout] = {"feed": feed.name, "patients": patients,
                           "input_mb": round(sum(Path(f).stat().st_size for f in inputs_of(feed)) / 1e6, 1),
                           "peak_rss_mb": round(peak_rss_mb(analyze_command(inputs_of(feed))), 1)}
    small = max(1, patients // 10)
    feed = generate(data, small, "grouped", 0.0)
    results["grouped_tenth"] = {"feed": feed.name, "patients": small,
                                "peak_rss_mb": round(peak_rss_mb(analyze_command(inputs_of(feed))), 1)}
    results["grouped_growth_x"] = round(results["grouped"]["peak_rss_mb"] / results["grouped_tenth"]["peak_rss_mb"],
                                        2)
    return results


def print_table(report):
    w = report["whole_process"]
    h = report["stream_hormone"]
    f = report["stream_mixed"]
    m = report["memory"]
    rows = [
        ("whole process", f"analyze {w['gateway_s']} s vs Python {w['python_s']} s on {w['input_mb']} MB "
                          f"({w['patients']} patients)", f"{w['x_python']} x Python"),
        ("filter (1 thread)", f"{f['filter_mb_s']:.0f} MB/s vs iterate_many {f['reference_mb_s']:.0f} MB/s on "
                              f"{f['megabytes']:.0f} MB, {f['wanted']} of {f['documents']} wanted",
         f"{f['filter_x_ref']:.3f} x ref"),
        ("pipeline, same feed", f"{f['pipeline_mb_s']:.0f} MB/s vs iterate_many {f['reference_mb_s']:.0f} MB/s",
         f"{f['pipeline_x_ref']:.3f} x ref"),
        ("pipeline, hormone feed", f"{h['pipeline_mb_s']:.0f} MB/s vs iterate_many {h['reference_mb_s']:.0f} MB/s "
                                   f"on {h['megabytes']:.0f} MB", f"{h['pipeline_x_ref']:.3f} x ref"),
        ("  against a full walk", f"{h['pipeline_mb_s']:.0f} MB/s vs every value walked {h['walk_mb_s']:.0f} MB/s",
         f"{h['pipeline_x_walk']:.3f} x walk"),
        ("memory, grouped", f"{m['grouped']['peak_rss_mb']} MB peak on {m['grouped']['input_mb']} MB "
                            f"({m['grouped']['patients']} patients)",
         f"{m['grouped_growth_x']} x its tenth ({m['grouped_tenth']['peak_rss_mb']} MB)"),
        ("memory, by type", f"{m['by-type']['peak_rss_mb']} MB peak on {m['by-type']['input_mb']} MB", ""),
    ]
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(r[i].ljust(width[i]) for i in range(3)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("GG_BENCH_DATA", TOP / "build" / "bench-data")),
                        help="where generated feeds are kept between runs (default build/bench-data)")
    parser.add_argument("--json", type=Path, help="also write the summary to this file")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    scale = SCALES[args.scale]

    report = {"scale": args.scale, "machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}}
    report["whole_process"] = whole_process(args.data, scale["whole"], args.rounds)
    report["stream_mixed"] = stream_bench(generate(args.data, scale["filter"], "grouped", 0.98), args.rounds)
    report["stream_hormone"] = stream_bench(generate(args.data, scale["whole"], "grouped", 0.0), args.rounds)
    report["memory"] = memory(args.data, scale["memory"])
    report["machine"]["load_after"] = os.getloadavg()[0]
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    print_table(report)


if __name__ == "__main__":
    main()
