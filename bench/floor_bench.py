#!/usr/bin/env python3
"""The query engine's floor under `custseg features`, beside custseg and polars, in one session.

The foundation issue asks for the whole `custseg features` process on the real data under
0.25 s (Parquet) and 0.35 s (CSV.gz), and requires the cleaning and aggregation to be
DataFusion plans. `crates/custseg-data/examples/engine_floor.rs` does a strict subset of that
work in plain DataFusion (the duplicate check, the clean file, five of the fifteen features;
no quarantine file, quality report or feature files), so its time is a floor under any
DataFusion implementation of the command on this machine. This script runs, alternately,
--runs times each:
  * the floor on the parse cache of the UCI Parquet file (already in the canonical schema, so
    nothing is parsed) and on the UCI CSV.gz (parsed into memory first);
  * `custseg features` on the same two inputs, warm (parse cached) for Parquet, cold for CSV.gz;
  * the polars baseline's ingest + clean + feature stages on the same inputs, the figure the
    issue quotes as "about 0.3 s" for its reference machine.
It prints medians, and the floor scaled to the issue's reference machine by the ratio of the
issue's polars figure to the polars median measured here on Parquet.

Usage:
  CARGO_TARGET_DIR=~/.cache/custseg-release python3 bench/floor_bench.py [--runs 5] [--python /tmp/baselines/bin/python]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from features_bench import SHARED, ROOT, baseline_seconds, run_with_rss  # noqa: E402

#: The polars baseline's time for this path on the issue's reference machine, in seconds.
ISSUE_POLARS_SECONDS = 0.3
#: The issue's targets for the whole process, in seconds.
TARGETS = {"parquet": 0.25, "csv.gz": 0.35}


def floor_total(stdout: str) -> float:
    """The floor's own clock at its last step (seconds from the start of its `main`)."""
    return float(stdout.strip().splitlines()[-1].split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", default="/tmp/baselines/bin/python", help="interpreter with the baselines' requirements")
    args = parser.parse_args()
    if not Path(args.python).exists():
        sys.exit(f"no baseline interpreter at {args.python}; see ../shared/baselines/README.md")

    subprocess.run(["cargo", "build", "--release", "-p", "custseg"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "-p", "custseg-data", "--example", "engine_floor"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")).resolve()
    custseg = str(target / "release" / "custseg")
    floor = str(target / "release" / "examples" / "engine_floor")
    work = Path(tempfile.mkdtemp(prefix="custseg-floor-"))
    data_dir = work / "datasets"
    parquet = SHARED / "data" / "online_retail.parquet"
    csv_gz = SHARED / "data" / "online_retail.csv.gz"

    def features(path: Path) -> list[str]:
        # `features` is a run of the pipeline's DAG, which skips the stages of an output that is
        # up to date: each run writes to a new directory, so that every stage runs.
        out = Path(tempfile.mkdtemp(prefix="out-", dir=work))
        return [custseg, "-q", "features", "--input", str(path), "--out", str(out), "--data-dir", str(data_dir)]

    run_with_rss(features(parquet))  # fills the parse cache the Parquet floor reads
    cache = next((data_dir / "parsed").glob("*.parquet"))

    walls: dict[tuple[str, str], list[float]] = {}
    def record(shape: str, what: str, seconds: float) -> None:
        walls.setdefault((shape, what), []).append(seconds)

    for _ in range(args.runs):
        for shape, path, floor_input in (("parquet", parquet, cache), ("csv.gz", csv_gz, csv_gz)):
            shutil.rmtree(work / "floor", ignore_errors=True)
            wall, _, out = run_with_rss([floor, str(floor_input), str(work / "floor")])
            record(shape, "floor (process)", wall)
            record(shape, "floor (in-process clock)", floor_total(out))
            if shape == "csv.gz":
                shutil.rmtree(data_dir / "parsed", ignore_errors=True)
            wall, _, _ = run_with_rss(features(path))
            record(shape, "custseg features", wall)
            if shape == "csv.gz":  # the Parquet floor reads the cache; put it back
                run_with_rss(features(parquet))
            _, _, out = run_with_rss([args.python, str(SHARED / "baselines" / "modern_polars.py"), "--input", str(path)])
            record(shape, "polars stages", baseline_seconds(out))

    print("| input | what | median (s) | all runs (s) |")
    print("| --- | --- | ---: | --- |")
    for (shape, what), seconds in walls.items():
        print(f"| {shape} | {what} | {statistics.median(seconds):.3f} | {', '.join(f'{s:.3f}' for s in seconds)} |")
    print()
    # One speed factor for the machine, from the figure the issue quotes (polars on Parquet).
    polars = statistics.median(walls[("parquet", "polars stages")])
    scale = ISSUE_POLARS_SECONDS / polars
    print(f"machine speed against the issue's reference: {scale:.2f} (polars on Parquet {polars:.3f} s here, "
          f"{ISSUE_POLARS_SECONDS} s there; above 1: this machine is faster)")
    for shape, target_seconds in TARGETS.items():
        floor_process = statistics.median(walls[(shape, "floor (process)")])
        custseg_wall = statistics.median(walls[(shape, "custseg features")])
        print(f"{shape}: floor {floor_process:.3f} s here, {floor_process * scale:.3f} s at the reference speed; "
              f"custseg {custseg_wall:.3f} s here, {custseg_wall * scale:.3f} s at the reference speed; "
              f"target {target_seconds} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
