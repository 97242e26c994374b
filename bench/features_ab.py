#!/usr/bin/env python3
"""Times `custseg features` of two builds on one input, alternating, from no output each time.

Both builds share one parse cache (warmed by a first run of each, not timed), so the figures are
the data stages and their writes, not the parse. Reports each build's median wall time, every
run, the highest peak RSS (wait4's, of that child alone), and after / before.

  python3 bench/features_ab.py --before /tmp/custseg-old --after target/release/custseg \
      --input /tmp/demo10m/demo.parquet [--runs 3] [--work /tmp/features-ab]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def run(binary: str, input_path: str, work: Path) -> tuple[float, float]:
    out = work / "out"
    # `features` is a run of the pipeline's DAG, which skips an up-to-date output.
    shutil.rmtree(out, ignore_errors=True)
    argv = [binary, "-q", "features", "--input", input_path, "--out", str(out), "--data-dir", str(work / "data")]
    start = time.perf_counter()
    with open(work / "stdout", "w") as stdout, open(work / "stderr", "w") as stderr:
        pid = os.posix_spawn(binary, argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, stdout.fileno(), 1), (os.POSIX_SPAWN_DUP2, stderr.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{(work / 'stderr').read_text()}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="custseg-features-ab-"))
    work.mkdir(parents=True, exist_ok=True)
    builds = {"before": str(Path(args.before).resolve()), "after": str(Path(args.after).resolve())}
    input_path = str(Path(args.input).resolve())
    for binary in builds.values():
        run(binary, input_path, work)  # warms the parse cache and the page cache
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in builds}
    for _ in range(args.runs):
        for name, binary in builds.items():
            results[name].append(run(binary, input_path, work))
    for name, runs in results.items():
        walls = [wall for wall, _ in runs]
        print(f"{name}: median {statistics.median(walls):.2f} s; runs {', '.join(f'{w:.2f}' for w in walls)}; "
              f"peak RSS {max(rss for _, rss in runs):.0f} MiB")
    before, after = (statistics.median([wall for wall, _ in results[name]]) for name in ("before", "after"))
    print(f"after / before: {after / before:.3f}")


if __name__ == "__main__":
    main()
