#!/usr/bin/env python3
"""Cost of `custseg monitor drift` over a large prediction log, beside pandas reading the same log.

Writes a prediction log of --rows predictions (default 1,000,000) spread over --days days, drawn
from the model's own drift reference (so the figures are those of a realistic, mostly stable log),
then times, alternately and --runs times each:
  - `custseg monitor drift --model M --log-dir LOG` (daily windows, the default);
  - pandas' `read_json(lines=True)` of the same files: what a Python monitoring job pays before
    computing any statistic (the baseline, measured in the same run).

usage: python3 bench/drift_bench.py --model out/model/model.json [--rows 1000000] [--runs 3]
       [--custseg target/release/custseg] [--python /path/to/python-with-pandas]
"""
import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_log(model: dict, directory: Path, rows: int, days: int, seed: int) -> None:
    reference = model["drift_reference"]
    columns = reference["columns"]
    n = len(columns[0])
    sizes = [s["size"] for s in model["segments"]]
    ids = [s["id"] for s in model["segments"]]
    rng = random.Random(seed)
    per_day = rows // days
    for day in range(days):
        count = per_day if day < days - 1 else rows - per_day * (days - 1)
        with open(directory / f"predictions-2026-11-{day + 1:02d}.jsonl", "w") as out:
            for i in range(count):
                row = rng.randrange(n)
                seconds = int(86400 * i / count)
                line = {
                    "time": f"2026-11-{day + 1:02d}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000Z",
                    "model_version": "bench",
                    "features": [c[row] for c in columns],
                    "cluster": rng.choices(ids, weights=sizes)[0],
                    "outlier": False,
                    "latency_ms": 0.5,
                }
                out.write(json.dumps(line, separators=(",", ":")) + "\n")


def timed(argv: list) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--custseg", default="target/release/custseg")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    model = json.loads(Path(args.model).read_text())
    with tempfile.TemporaryDirectory() as work:
        log = Path(work) / "log"
        log.mkdir()
        write_log(model, log, args.rows, args.days, args.seed)
        size = sum(f.stat().st_size for f in log.iterdir())
        pandas = (
            "import glob, pandas as pd; "
            f"frames = [pd.read_json(f, lines=True) for f in sorted(glob.glob('{log}/*.jsonl'))]; "
            "print(sum(len(f) for f in frames))"
        )
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(timed([args.custseg, "-q", "monitor", "drift", "--model", args.model,
                               "--log-dir", str(log), "--out", str(Path(work) / "drift.json")]))
            theirs.append(timed([args.python, "-c", pandas]))
        verdict = json.loads((Path(work) / "drift.json").read_text())
        print(f"## `custseg monitor drift` over {args.rows:,} logged predictions "
              f"({size / 1e6:.0f} MB of JSON lines, {args.days} daily windows), {args.runs} runs\n")
        print("| | median | best |")
        print("| --- | ---: | ---: |")
        print(f"| custseg monitor drift (read, every window, verdict, written) | {statistics.median(ours):.2f} s | {min(ours):.2f} s |")
        print(f"| pandas read_json(lines=True) of the same files (reading only) | {statistics.median(theirs):.2f} s | {min(theirs):.2f} s |")
        print(f"\nratio (pandas reading / custseg whole job, medians): "
              f"{statistics.median(theirs) / statistics.median(ours):.1f}x; verdict: "
              f"{'drift' if verdict['drift'] else 'no drift'} ({verdict['reason']})")


if __name__ == "__main__":
    main()
