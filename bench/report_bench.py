#!/usr/bin/env python3
"""Report benchmark: what the report stage adds to `custseg run` on the real UCI Online Retail data.

In one session, on the same input with the parse cache warm: the whole `custseg run` process with
`--skip-report` and without it (the difference is the report's extra time), the report stage's own
timing line, and `custseg report` redrawing from the files (HTML, and HTML + PNG).

Usage:
  python3 bench/report_bench.py [--runs 5] [--input ../shared/data/online_retail.csv.gz]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def timed(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    # Tracked runs go to <cwd>/runs/: keep them out of the repository.
    result = subprocess.run(argv, capture_output=True, text=True, cwd=tempfile.gettempdir())
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stderr}")
    return seconds, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--input", default=str(SHARED / "data" / "online_retail.csv.gz"))
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--bin", "custseg"], cwd=ROOT, check=True, capture_output=True)
    binary = str((Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "custseg").resolve())
    work = Path(tempfile.mkdtemp(prefix="custseg-report-bench-"))
    base = [binary, "-q", "run", "--input", args.input, "--data-dir", str(work / "datasets")]
    timed(base + ["--out", str(work / "warm")])  # fills the parse cache
    without, with_report, stage = [], [], []
    for _ in range(args.runs):
        # Fresh output directories: a re-run into the same one would skip every stage.
        shutil.rmtree(work / "a", ignore_errors=True)
        shutil.rmtree(work / "b", ignore_errors=True)
        without.append(timed(base + ["--out", str(work / "a"), "--skip-report"])[0])
        seconds, stdout = timed(base + ["--out", str(work / "b")])
        with_report.append(seconds)
        match = re.search(r"^report .*, ([0-9.]+)s$", stdout, re.M)
        stage.append(float(match.group(1)) if match else float("nan"))
    redraw = [timed([binary, "-q", "report", "--out", str(work / "b")])[0] for _ in range(args.runs)]
    png = [timed([binary, "-q", "report", "--out", str(work / "b"), "--format", "png"])[0] for _ in range(args.runs)]
    med = statistics.median
    size = (work / "b" / "report" / "index.html").stat().st_size
    print(f"## The report on `{Path(args.input).name}`, medians of {args.runs} runs (warm parse cache)\n")
    print("| measurement | seconds |")
    print("| --- | ---: |")
    print(f"| `custseg run --skip-report` (whole process) | {med(without):.3f} |")
    print(f"| `custseg run` (whole process, with the report) | {med(with_report):.3f} |")
    print(f"| extra time of the report (difference) | {med(with_report) - med(without):.3f} |")
    print(f"| report stage inside `run` (its own timing line) | {med(stage):.3f} |")
    print(f"| `custseg report` redrawing from the files (whole process) | {med(redraw):.3f} |")
    print(f"| `custseg report --format png` (whole process) | {med(png):.3f} |")
    print(f"\nPage size: {size / 1024:.0f} KiB.")


if __name__ == "__main__":
    main()
