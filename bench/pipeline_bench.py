#!/usr/bin/env python3
"""Pipeline benchmark: what the cached DAG saves on the real UCI Online Retail data.

In one session, with the parse cache warm and tracking to the local store (the defaults):
  - a first `custseg run` into an empty output directory (every stage runs),
  - an unchanged re-run (every stage skipped: the lock's hashes are checked, nothing else),
  - a re-run after one `[model]` parameter changed (train, evaluate, register, report run),
  - the seed pipeline `seed_pandas.py`, which redoes everything on every run (the baseline).
Each figure is the median wall time of the whole process over `--runs` runs.

Usage:
  python3 bench/pipeline_bench.py [--runs 5] [--python /tmp/baselines/bin/python]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stderr}")
    return seconds, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--input", default=str(SHARED / "data" / "online_retail.csv.gz"))
    parser.add_argument("--python", default=sys.executable, help="a Python with the baselines' requirements")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--bin", "custseg"], cwd=ROOT, check=True, capture_output=True)
    binary = str((Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "custseg").resolve())
    work = Path(tempfile.mkdtemp(prefix="custseg-pipeline-bench-"))
    base = [binary, "-q", "run", "--input", args.input, "--data-dir", str(work / "datasets")]
    timed(base + ["--out", str(work / "warm")], work)  # fills the parse cache

    first, unchanged, changed = [], [], []
    for _ in range(args.runs):
        shutil.rmtree(work / "out", ignore_errors=True)
        first.append(timed(base + ["--out", str(work / "out")], work)[0])
    for _ in range(args.runs):
        seconds, stdout = timed(base + ["--out", str(work / "out")], work)
        if "pipeline   0 ran, 8 skipped" not in stdout:
            sys.exit(f"an unchanged re-run ran stages:\n{stdout}")
        unchanged.append(seconds)
    for i in range(args.runs):
        k_max = "9" if i % 2 == 0 else "10"
        seconds, stdout = timed(base + ["--out", str(work / "out"), "--k-max", k_max], work)
        if "pipeline   4 ran, 4 skipped" not in stdout:
            sys.exit(f"a changed train parameter ran other stages:\n{stdout}")
        changed.append(seconds)
    seed = []
    for _ in range(max(1, args.runs // 2)):
        seed.append(timed([args.python, str(SHARED / "baselines" / "seed_pandas.py"), "--input", args.input,
                           "--workdir", str(work / "extract")], work)[0])
    med = statistics.median
    m_first, m_unchanged, m_changed, m_seed = med(first), med(unchanged), med(changed), med(seed)
    print(f"## The cached pipeline on `{Path(args.input).name}`, medians of {args.runs} runs (parse cache warm)\n")
    print("| run | wall (s) | seed_pandas.py / this | first run / this |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| first `custseg run` into an empty `out/` (8 stages) | {m_first:.3f} | {m_seed / m_first:.1f}x | 1.0x |")
    print(f"| unchanged re-run (0 stages) | {m_unchanged:.3f} | {m_seed / m_unchanged:.0f}x | {m_first / m_unchanged:.0f}x |")
    print(f"| `--k-max` changed (train, evaluate, register, report) | {m_changed:.3f} | {m_seed / m_changed:.1f}x | {m_first / m_changed:.1f}x |")
    print(f"| seed_pandas.py (redoes everything every time; {len(seed)} runs) | {m_seed:.3f} | 1.0x | |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
