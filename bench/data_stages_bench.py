#!/usr/bin/env python3
"""The data stages side by side: custseg features against the polars baseline, 1M to 100M rows.

For each size, on demo logs written by `custseg demo-data` (seeded, in several Parquet files),
runs alternately, --runs times each:
  * `custseg features --no-cache` (release build): ingest, clean and features, writing the
    canonical, clean, quarantine and feature files; under --memory-limit from --limit-from rows;
  * the polars baseline's read + clean + features (bench/polars_stages.py, which loads
    ../shared/baselines/modern_polars.py unchanged) with polars' in-memory engine below
    --streaming-from rows, and with its streaming engine at every size. It writes no file.
Reports wall time (best and median), peak RSS of each child (wait4) and rows per second, the
stages' own time (custseg's stage times summed; the baseline's data stages timed inside its
process, which leaves out starting Python and importing numpy, scikit-learn and polars), the
ratios of custseg's process time to polars' process time and, stricter, to polars' stages, custseg's own stage split, and from `--explain-analyze` the slowest
plans of custseg's best run with their costliest operators (elapsed_compute).

Usage:
  CARGO_TARGET_DIR=~/.cache/custseg-release python3 bench/data_stages_bench.py \
      --rows 1000000 10000000 100000000 --runs 2 [--json out.json] [--floor /tmp/dfpy/bin/python]
The baseline needs its pinned requirements:
  python3 -m venv /tmp/baselines && /tmp/baselines/bin/pip install -r ../shared/baselines/requirements.txt
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from features_bench import ROOT, SHARED, STAGE_DONE, run_with_rss as run  # noqa: E402

UCI = SHARED / "data" / "online_retail.parquet"
UCI_ROWS = 541_909
ELAPSED = re.compile(r"elapsed_compute=([\d.]+)(ns|µs|ms|s)\b")
UNIT = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


def parse_bytes(text: str) -> int:
    """`4GiB`, `512MiB` or a plain number of bytes, as custseg's --memory-limit reads them."""
    for suffix, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def candidate_passes(rows: int, limit: int | None) -> int:
    """custseg's passes of the duplicate-candidate aggregate (`candidate_passes` in
    crates/custseg-data/src/clean/duplicates.rs: 100 bytes a group in 7/8 of the limit)."""
    if not limit:
        return 1
    return max(1, min(32, -(-rows * 100 // (limit // 8 * 7))))


def partitions_for(rows: int) -> int:
    """Files of the demo log: 8 at 10M rows (as in the issue), 32 at 100M, 1 at 1M."""
    return max(1, min(32, round(8 * rows / 10_000_000)))


def demo_log(binary: str, work: Path, rows: int) -> Path:
    """The demo log of `rows` rows (2% as many customers, seed 7), written once and kept."""
    folder = work / f"demo-{rows}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        run([binary, "-q", "demo-data", "--rows", str(rows), "--customers", str(rows // 50),
             "--partitions", str(partitions_for(rows)), "--seed", "7", "--out", str(folder)])
        done.write_text("")
    return folder


def costliest_operators(plan_text: str, top: int = 3) -> list[str]:
    """The operators of a plan file with the largest elapsed_compute, as `Name 1.23s`."""
    found = []
    for line in plan_text.splitlines():
        match = ELAPSED.search(line)
        name = line.strip().split(":", 1)[0]
        if match and name.endswith("Exec"):
            found.append((float(match.group(1)) * UNIT[match.group(2)], name))
    found.sort(reverse=True)
    return [f"{name} {seconds:.2f}s" for seconds, name in found[:top]]


def slowest_plans(folder: Path, top: int = 4) -> list[dict]:
    index = (folder / "plans.tsv").read_text().splitlines()[1:]
    plans = []
    for line in index:
        number, label, seconds, rows = line.split("\t")
        safe = re.sub(r"[^A-Za-z0-9]", "-", label)
        text = (folder / f"{int(number):03d}-{safe}.txt").read_text()
        plans.append({"label": label, "seconds": float(seconds), "rows": int(rows),
                      "operators": costliest_operators(text)})
    plans.sort(key=lambda p: -p["seconds"])
    return plans[:top]


def summary(times: list[float], peaks: list[float], stages: list[float], rows: int) -> dict:
    """Process wall time (best, median, all), peak RSS, rows/s, and the stages' own time: for
    custseg the sum of its stage times, for polars the baseline's data stages timed inside the
    process (without starting Python and importing the baseline's modules)."""
    best = min(times)
    return {"best_s": best, "median_s": statistics.median(times), "all_s": times,
            "peak_mib": max(peaks), "rows_per_s": rows / best,
            "stages_best_s": min(stages), "stages_all_s": stages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GiB")
    parser.add_argument("--limit-from", type=int, default=100_000_000,
                        help="sizes from this many rows run custseg under --memory-limit")
    parser.add_argument("--streaming-from", type=int, default=100_000_000,
                        help="sizes from this many rows run polars' streaming engine only")
    parser.add_argument("--python", default="/tmp/baselines/bin/python")
    parser.add_argument("--work", default="/tmp/custseg-data-stages-bench",
                        help="where the demo logs are kept between runs of this script")
    parser.add_argument("--uci", action="store_true",
                        help="also the real UCI Parquet file (541,909 rows), first")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--floor", metavar="PYTHON",
                        help="also the engine's floor, run by this interpreter (with datafusion==55.0.0)")
    args = parser.parse_args()
    if not Path(args.python).exists():
        sys.exit(f"no baseline interpreter at {args.python}; see --help")

    subprocess.run(["cargo", "build", "--release", "--bin", "custseg"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = str((target / "release" / "custseg").resolve())
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    inputs = [("UCI parquet", UCI_ROWS, UCI)] if args.uci else []
    inputs += [(f"demo {rows:,}", rows, None) for rows in args.rows]
    for label, rows, path in inputs:
        log = path or demo_log(binary, work, rows)
        pattern = str(log) if path else str(log / "*.parquet")
        engines = ["streaming"] if rows >= args.streaming_from else ["in-memory", "streaming"]
        measured = {"custseg": ([], [], [])} | {f"polars {e}": ([], [], []) for e in engines}
        if args.floor:
            measured["engine floor"] = ([], [], [])
        canonical = work / f"canonical-{rows}.parquet"
        floor_steps = None
        limit = parse_bytes(args.memory_limit) if rows >= args.limit_from else None
        best_custseg = (float("inf"), "", None)
        for attempt in range(args.runs):
            out = work / "out"
            plans = work / f"plans-{rows}-{attempt}"
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(plans, ignore_errors=True)
            argv = [binary, "-q", "features", "--input", str(log), "--out", str(out), "--no-cache",
                    "--explain-analyze", str(plans)]
            if rows >= args.limit_from:
                argv += ["--memory-limit", args.memory_limit]
            wall, peak, stdout = run(argv)
            measured["custseg"][0].append(wall)
            measured["custseg"][1].append(peak)
            measured["custseg"][2].append(sum(float(s) for _, s in STAGE_DONE.findall(stdout)))
            if wall < best_custseg[0]:
                best_custseg = (wall, stdout, plans)
            print(f"{label:>16} custseg            {wall:7.2f} s {peak:7.0f} MiB", flush=True)
            if args.floor:
                if attempt == 0:
                    shutil.copyfile(out / "raw" / "transactions.parquet", canonical)
                argv = [args.floor, str(ROOT / "bench" / "engine_floor.py"), str(canonical), str(work),
                        "--passes", str(candidate_passes(rows, limit))]
                if limit:
                    argv += ["--memory-limit-bytes", str(limit)]
                wall, peak, floor_out = run(argv)
                measured["engine floor"][0].append(wall)
                measured["engine floor"][1].append(peak)
                floor_result = json.loads(floor_out.strip().splitlines()[-1])
                measured["engine floor"][2].append(floor_result["seconds"])
                if floor_result["seconds"] <= min(measured["engine floor"][2]):
                    floor_steps = floor_result["steps"]
                print(f"{label:>16} engine floor       {wall:7.2f} s {peak:7.0f} MiB", flush=True)
            for engine in engines:
                wall, peak, out = run([args.python, str(ROOT / "bench" / "polars_stages.py"),
                                       "--input", pattern, "--engine", engine])
                measured[f"polars {engine}"][0].append(wall)
                measured[f"polars {engine}"][1].append(peak)
                measured[f"polars {engine}"][2].append(json.loads(out.strip().splitlines()[-1])["seconds"])
                print(f"{label:>16} polars {engine:<11} {wall:7.2f} s {peak:7.0f} MiB", flush=True)
        shutil.rmtree(work / "out", ignore_errors=True)
        canonical.unlink(missing_ok=True)
        (work / "clean.parquet").unlink(missing_ok=True)
        figures = {name: summary(t, p, st, rows) for name, (t, p, st) in measured.items()}
        _, stdout, plans = best_custseg
        results.append({
            "input": label,
            "rows": rows,
            "files": 1 if path else partitions_for(rows),
            "memory_limit": args.memory_limit if rows >= args.limit_from else None,
            "figures": figures,
            "custseg_stages": {name: float(s) for name, s in STAGE_DONE.findall(stdout)},
            "slowest_plans": slowest_plans(plans),
            "floor_steps": floor_steps,
        })

    print()
    print("| input | who | process best (s) | median (s) | stages best (s) | peak RSS (MiB) | rows/s (best) | custseg / this, process | custseg process / this stages |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for result in results:
        custseg = result["figures"]["custseg"]["best_s"]
        for name, f in result["figures"].items():
            ratio = "" if name == "custseg" else f"{custseg / f['best_s']:.2f}"
            strict = "" if name == "custseg" else f"{custseg / f['stages_best_s']:.2f}"
            print(f"| {result['input']} | {name} | {f['best_s']:.2f} | {f['median_s']:.2f} | "
                  f"{f['stages_best_s']:.2f} | {f['peak_mib']:.0f} | {f['rows_per_s'] / 1e6:.2f}M | "
                  f"{ratio} | {strict} |")
    print()
    print("| input | custseg's stages (best run) | slowest plans (seconds; costliest operators by elapsed_compute) |")
    print("| ---: | --- | --- |")
    for result in results:
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in result["custseg_stages"].items())
        plans = "; ".join(f"{p['label']} {p['seconds']:.2f}s ({', '.join(p['operators'])})"
                          for p in result["slowest_plans"])
        print(f"| {result['input']} | {stages} | {plans} |")
    for result in results:
        figures = result["figures"]
        if "engine floor" not in figures:
            continue
        floor = figures["engine floor"]["stages_best_s"]
        against = ", ".join(f"{floor / f['stages_best_s']:.2f} of {name}'s stages"
                            for name, f in figures.items() if name.startswith("polars"))
        print(f"{result['input']}: engine floor {floor:.2f} s ({against}); custseg's stages "
              f"{figures['custseg']['stages_best_s']:.2f} s are {figures['custseg']['stages_best_s'] / floor:.2f}x the floor; "
              f"the floor's steps: {', '.join(f'{k} {v:.2f}s' for k, v in result['floor_steps'].items())}")
    if len(results) > 1:
        by_rows = {r["rows"]: r["figures"]["custseg"]["best_s"] for r in results if r["input"].startswith("demo")}
        if 10_000_000 in by_rows and 100_000_000 in by_rows:
            print(f"\ncustseg 100M / 10M time: {by_rows[100_000_000] / by_rows[10_000_000]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
