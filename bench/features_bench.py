#!/usr/bin/env python3
"""Whole-process benchmark of `custseg features`, side by side with the Python baselines.

Runs, in one session on this machine:
  * custseg (release build) on the real UCI data in its three shapes and on demo logs,
    cold (empty parse cache: the input is parsed) and warm (the parse is cached);
  * the pandas and polars baselines of ../shared/baselines on the same inputs, counting
    only their ingest + clean + feature stages (not the model stages).
Wall time is the median of --runs runs; peak RSS comes from wait4() of each child.
Prints a Markdown table with the ratio baseline / custseg.

Usage:
  python3 bench/features_bench.py [--runs 5] [--demo-rows 10000000] [--python /tmp/baselines/bin/python]
The baselines need their pinned requirements:
  python3 -m venv /tmp/baselines && /tmp/baselines/bin/pip install -r ../shared/baselines/requirements.txt
"""
from __future__ import annotations

import argparse
import re
import json
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


def run_with_rss(argv: list[str]) -> tuple[float, float, str]:
    """Runs argv; returns (wall seconds, peak RSS in MiB of that child alone, stdout)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, out_file.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, err_file.fileno(), 2),
        ])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        out_file.seek(0)
        err_file.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {' '.join(argv)}\n{err_file.read()}")
        return wall, usage.ru_maxrss / 1024, out_file.read()


def median_run(argv: list[str], runs: int, before=None) -> tuple[float, float, str]:
    walls, peaks, out = [], [], ""
    for _ in range(runs):
        if before:
            before()
        wall, peak, out = run_with_rss(argv)
        walls.append(wall)
        peaks.append(peak)
    return statistics.median(walls), max(peaks), out


# `stage      clean     done in 1.234s, peak RSS 512 MiB, wrote 3 files`
STAGE_DONE = re.compile(r"^stage\s+(\w+)\s+done in ([\d.]+)s", re.MULTILINE)


def baseline_seconds(stdout: str) -> float:
    """Sum of a baseline's acquire/clean/features stage times."""
    total = 0.0
    for line in stdout.splitlines():
        record = json.loads(line)
        if record.get("type") == "stage" and not record["stage"].startswith("model."):
            total += record["wall_s"]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--demo-rows", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--python", default="/tmp/baselines/bin/python", help="interpreter with the baselines' requirements")
    parser.add_argument("--skip-baselines", action="store_true")
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "--bin", "custseg"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = str((target / "release" / "custseg").resolve())
    work = Path(tempfile.mkdtemp(prefix="custseg-bench-"))
    data_dir = work / "datasets"

    inputs = [
        ("UCI parquet", SHARED / "data" / "online_retail.parquet"),
        ("UCI csv.gz", SHARED / "data" / "online_retail.csv.gz"),
        ("UCI zip (xlsx)", SHARED / "data" / "online+retail.zip"),
    ]
    for rows in args.demo_rows:
        path = work / f"demo-{rows}.parquet"
        run_with_rss([binary, "-q", "demo-data", "--rows", str(rows), "--seed", "7", "--out", str(path)])
        inputs.append((f"demo {rows:,} rows (parquet)", path))

    rows_out = ["| input | custseg cold (s) | custseg warm (s) | peak RSS cold (MiB) | pandas (s) | polars (s) | pandas / custseg cold | polars / custseg cold |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    stage_lines = ["| input | stages of the last cold run (custseg's own timing) |", "| --- | --- |"]
    for label, path in inputs:
        argv = [binary, "-q", "features", "--input", str(path), "--out", str(work / "out"), "--data-dir", str(data_dir)]
        # `features` is a run of the pipeline's DAG, which skips the stages of an output that is
        # up to date: each run starts from no output, so that every stage runs.
        fresh_out = lambda: shutil.rmtree(work / "out", ignore_errors=True)
        cold, cold_rss, cold_out = median_run(argv, args.runs, before=lambda: (fresh_out(), shutil.rmtree(data_dir, ignore_errors=True)))
        stages = ", ".join(f"{name} {seconds}s" for name, seconds in STAGE_DONE.findall(cold_out))
        stage_lines.append(f"| {label} | {stages} |")
        warm, _, _ = median_run(argv, args.runs, before=fresh_out)
        pandas = polars = float("nan")
        if not args.skip_baselines and "demo" not in label:
            if not Path(args.python).exists():
                sys.exit(f"no baseline interpreter at {args.python}; see --help, or pass --skip-baselines")
            medians = {}
            for name in ("seed_pandas", "modern_polars"):
                script = str(SHARED / "baselines" / f"{name}.py")
                times = []
                for _ in range(max(1, min(args.runs, 3))):
                    _, _, out = run_with_rss([args.python, script, "--input", str(path), "--workdir", str(work / "extract")])
                    times.append(baseline_seconds(out))
                medians[name] = statistics.median(times)
            pandas, polars = medians["seed_pandas"], medians["modern_polars"]
        ratio = lambda base: f"{base / cold:.1f}x" if base == base else "n/a"
        rows_out.append(f"| {label} | {cold:.3f} | {warm:.3f} | {cold_rss:.0f} | {pandas:.2f} | {polars:.2f} | {ratio(pandas)} | {ratio(polars)} |")
        print(rows_out[-1], flush=True)
    print()
    print("\n".join(rows_out))
    print()
    print("\n".join(stage_lines))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
