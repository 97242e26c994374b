#!/usr/bin/env python3
"""Benchmarks of the segmentation model, side by side with scikit-learn and the Python baselines.

In one session on this machine:
  1. K-Means on a synthetic 1,000,000 x 15 matrix: `custseg bench kmeans` writes the matrix and
     times custseg's fit; scikit-learn's KMeans (algorithm="lloyd", same k, init, n_init,
     max_iter, tol) fits the very same matrix in this process.
  2. The model search on the real customer features: `custseg bench search` (default settings:
     18 candidates x 10 restarts, exact silhouette, Davies-Bouldin, Calinski-Harabasz, 10
     bootstrap refits) against the seed pipeline's search (seed_pandas.py's model.search stage).
  3. The whole `custseg run` process on the real CSV.gz (cold: input parsed; warm: parse cached)
     against the whole seed_pandas.py and modern_polars.py processes.
Times are medians (custseg bench reports its fastest and median repetitions); ratios are
baseline / custseg.

Usage:
  python3 bench/model_bench.py [--runs 3] [--python /tmp/baselines/bin/python]
  python3 -m venv /tmp/baselines && /tmp/baselines/bin/pip install -r ../shared/baselines/requirements.txt
"""
from __future__ import annotations

import argparse
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

SKLEARN_KMEANS = r"""
import json, sys, time
import numpy as np
from sklearn.cluster import KMeans
path, rows, cols, k, init, n_init, max_iter, runs = sys.argv[1:9]
x = np.fromfile(path, dtype="<f8").reshape(int(rows), int(cols))
times = []
for _ in range(int(runs)):
    start = time.perf_counter()
    model = KMeans(n_clusters=int(k), init=init, n_init=int(n_init), max_iter=int(max_iter),
                   tol=1e-4, random_state=0, algorithm="lloyd").fit(x)
    times.append(time.perf_counter() - start)
times.sort()
print(json.dumps({"best_seconds": times[0], "median_seconds": times[len(times) // 2],
                  "inertia": float(model.inertia_), "n_iter": int(model.n_iter_)}))
"""

SKLEARN_SEARCH = r"""
import json, sys, time
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
path, cols, runs = sys.argv[1:4]
x = np.fromfile(path, dtype="<f8").reshape(-1, int(cols))
fits, scores = [], []
for _ in range(int(runs)):
    start = time.perf_counter()
    labels = [KMeans(n_clusters=k, init=init, n_init=10, max_iter=300, random_state=0).fit_predict(x)
              for k in range(2, 11) for init in ("k-means++", "random")]
    middle = time.perf_counter()
    for l in labels:
        silhouette_score(x, l), davies_bouldin_score(x, l), calinski_harabasz_score(x, l)
    fits.append(middle - start)
    scores.append(time.perf_counter() - middle)
fits.sort(); scores.sort()
print(json.dumps({"fits_seconds": fits[len(fits) // 2], "scores_seconds": scores[len(scores) // 2]}))
"""


def run(argv: list[str], **kwargs) -> str:
    kwargs.setdefault("cwd", tempfile.gettempdir())  # tracked runs go to <cwd>/runs/
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stderr}")
    return result.stdout


def timed(argv: list[str], runs: int, before=None) -> tuple[float, str]:
    walls, out = [], ""
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        out = run(argv)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), out


def stage_seconds(stdout: str, prefix: str) -> float:
    total = 0.0
    for line in stdout.splitlines():
        record = json.loads(line)
        if record.get("type") == "stage" and record["stage"].startswith(prefix):
            total += record["wall_s"]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default="/tmp/baselines/bin/python")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if not Path(args.python).exists():
        sys.exit(f"no baseline interpreter at {args.python}; see --help")

    run(["cargo", "build", "--release", "--bin", "custseg"], cwd=ROOT)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = str((target / "release" / "custseg").resolve())
    work = Path(tempfile.mkdtemp(prefix="custseg-model-bench-"))
    csv_gz = SHARED / "data" / "online_retail.csv.gz"

    print(f"## K-Means, {args.rows:,} x 15 (30 Gaussian blobs, 8 clusters fitted), same matrix\n")
    print("| k | init | n_init | custseg median (s) | scikit-learn median (s) | scikit-learn / custseg | custseg inertia | scikit-learn inertia |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    matrix = work / "matrix.f64"
    for k, init, n_init in [(8, "k-means++", 1), (8, "random", 1), (8, "k-means++", 10)]:
        ours = json.loads(run([binary, "bench", "kmeans", "--rows", str(args.rows), "--columns", "15", "--blobs", "30",
                               "--k", str(k), "--init", init, "--n-init", str(n_init), "--max-iter", "300",
                               "--repeat", str(args.runs), "--dump", str(matrix)]))
        theirs = json.loads(run([args.python, "-c", SKLEARN_KMEANS, str(matrix), str(args.rows), "15", str(k), init,
                                 str(n_init), "300", str(args.runs)]))
        ratio = theirs["median_seconds"] / ours["median_seconds"]
        print(f"| {k} | {init} | {n_init} | {ours['median_seconds']:.3f} | {theirs['median_seconds']:.3f} | {ratio:.2f}x | {ours['inertia']:.6g} | {theirs['inertia']:.6g} |", flush=True)

    print("\n## Model search on the real customer features\n")
    out = work / "out"
    run([binary, "-q", "features", "--input", str(csv_gz), "--out", str(out), "--data-dir", str(work / "datasets")])
    features = out / "features" / "customer_features.parquet"
    reduced = work / "reduced.f64"
    ours = json.loads(run([binary, "bench", "search", "--features", str(features), "--repeat", str(max(5, args.runs)),
                           "--dump", str(reduced)]))
    settings = work / "no-stability.toml"
    settings.write_text("[model.search]\nstability_bootstraps = 0\n")
    no_stability = json.loads(run([binary, "--config", str(settings), "bench", "search", "--features", str(features),
                                   "--repeat", str(max(5, args.runs))]))
    theirs = json.loads(run([args.python, "-c", SKLEARN_SEARCH, str(reduced), str(ours["columns"]), str(args.runs)]))
    seed_search = []
    seed_model = []
    seed_wall = []
    for _ in range(args.runs):
        start = time.perf_counter()
        stdout = run([args.python, str(SHARED / "baselines" / "seed_pandas.py"), "--input", str(csv_gz), "--workdir", str(work / "extract")])
        seed_wall.append(time.perf_counter() - start)
        seed_search.append(stage_seconds(stdout, "model.tune"))
        seed_model.append(stage_seconds(stdout, "model."))
    print("| what | custseg (s) | seed pandas + scikit-learn (s) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    sklearn_total = theirs["fits_seconds"] + theirs["scores_seconds"]
    print(f"| search on the same {ours['rows']} x {ours['columns']} points: {ours['candidates']} candidates x 10 restarts, silhouette, Davies-Bouldin, Calinski-Harabasz | {no_stability['median_seconds']:.3f} | {sklearn_total:.3f} (fits {theirs['fits_seconds']:.3f}, scores {theirs['scores_seconds']:.3f}) | {sklearn_total / no_stability['median_seconds']:.1f}x |")
    print(f"| the same plus custseg's {ours['stability_bootstraps']} bootstrap refits for stability (the default) | {ours['median_seconds']:.3f} | | |")
    print(f"| seed_pandas.py's whole model.tune stage (its own features and matrix) | | {statistics.median(seed_search):.3f} | {statistics.median(seed_search) / ours['median_seconds']:.1f}x |")
    print(f"\n(seed model stage in all: {statistics.median(seed_model):.3f} s; custseg chose k = {ours['chosen_k']})")

    print("\n## Whole process on the real CSV.gz: ingest, clean, features, model\n")
    data_dir = work / "datasets"
    argv = [binary, "-q", "run", "--input", str(csv_gz), "--out", str(work / "run"), "--data-dir", str(data_dir)]
    # Every run starts from an empty output directory: `custseg run` would otherwise skip every
    # stage as unchanged (that re-run is measured by bench/pipeline_bench.py).
    fresh_out = lambda: shutil.rmtree(work / "run", ignore_errors=True)
    cold, _ = timed(argv, args.runs, before=lambda: (shutil.rmtree(data_dir, ignore_errors=True), fresh_out()))
    warm, stdout = timed(argv, args.runs, before=fresh_out)
    polars = []
    for _ in range(args.runs):
        start = time.perf_counter()
        run([args.python, str(SHARED / "baselines" / "modern_polars.py"), "--input", str(csv_gz), "--workdir", str(work / "extract")])
        polars.append(time.perf_counter() - start)
    pandas_wall, polars_wall = statistics.median(seed_wall), statistics.median(polars)
    print("| process | wall (s) | baseline / custseg cold |")
    print("| --- | ---: | ---: |")
    print(f"| custseg run, cold (parses the CSV.gz) | {cold:.3f} | |")
    print(f"| custseg run, warm (parse cached) | {warm:.3f} | |")
    print(f"| seed_pandas.py | {pandas_wall:.3f} | {pandas_wall / cold:.1f}x |")
    print(f"| modern_polars.py | {polars_wall:.3f} | {polars_wall / cold:.1f}x |")
    timing = [line for line in stdout.splitlines() if line.startswith("time ")]
    print("\ncustseg's own stage timings (last warm run):\n")
    for line in timing:
        print(f"    {line}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
