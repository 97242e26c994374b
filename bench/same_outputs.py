#!/usr/bin/env python3
"""Checks that two custseg builds write the same outputs, byte for byte, on the real data.

Runs `custseg run` and each of `features`, `clv`, `train` and `report` on their own with the
build BEFORE a change and the build AFTER it, each in a directory of its own, and compares
every file they wrote. A refactoring must leave them identical; a change that alters an output
on purpose names it with --expect-change so that it is reported but not counted as a failure.

Files that record a moment or an identity, not a result, differ between any two runs of the
same build; they are compared after removing those fields (see VOLATILE), and the fields are
listed. Exit status 0 when every other byte matches.

  python3 bench/same_outputs.py --before /tmp/custseg-before --after target/debug/custseg \
      [--input ../shared/data/online_retail.parquet]
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

# Keys whose values are moments, run ids or paths of the working directory: equal results
# still differ there between two runs of one build.
VOLATILE_KEYS = {"created_at", "started_at", "finished_at", "run_id", "source", "generated_at",
                 "timestamp", "time", "seconds", "peak_rss_bytes", "duration_seconds", "elapsed_seconds"}
# Text outputs with a generation time in them.
VOLATILE_TEXT = [re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2}| UTC)?"),
                 re.compile(rb"[0-9a-f]{32}")]
# Records of a run (tracking store, lock files with mtimes, the cache of parsed inputs) are not
# outputs of the computation.
SKIP_DIRS = {"runs", "datasets", "mlruns"}
SKIP_FILES = {".custseg-run.lock", "custseg.lock"}


def commands(input_path: str) -> list[tuple[str, list[str]]]:
    """The commands each build runs, in order, with their working directory's outputs."""
    return [
        ("run", ["run", "--input", input_path, "--out", "run"]),
        ("features", ["features", "--input", input_path, "--out", "features"]),
        ("clv", ["clv", "--input", input_path, "--out", "clv"]),
        # A holdout: Pareto/NBD is fitted too, and both are scored on it.
        ("clv with a holdout", ["clv", "--input", input_path, "--out", "clv-holdout", "--calibration-end", "2011-09-01"]),
        ("train", ["train", "--features", "features/features/customer_features.parquet", "--out", "train"]),
        ("report", ["report", "--out", "run"]),
    ]


def normalise(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".json":
        try:
            value = json.loads(data)
        except ValueError:
            return data

        def strip(v):
            if isinstance(v, dict):
                return {k: ("<volatile>" if k in VOLATILE_KEYS else strip(x)) for k, x in v.items()}
            if isinstance(v, list):
                return [strip(x) for x in v]
            return v
        return json.dumps(strip(value), sort_keys=True).encode()
    if path.suffix in {".html", ".md", ".txt", ".csv", ".svg"}:
        for pattern in VOLATILE_TEXT:
            data = pattern.sub(b"<volatile>", data)
    return data


def files(root: Path) -> dict[str, Path]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            if name in SKIP_FILES:
                continue
            path = Path(dirpath) / name
            found[str(path.relative_to(root))] = path
    return found


def run_all(binary: str, work: Path, input_path: str) -> None:
    env = {**os.environ, "CUSTSEG_DATA_DIR": str(work / "datasets")}
    env.pop("MLFLOW_TRACKING_URI", None)
    for name, argv in commands(input_path):
        done = subprocess.run([binary, "-q", *argv], cwd=work, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{binary} {name} failed:\n{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the custseg binary before the change")
    parser.add_argument("--after", required=True, help="the custseg binary after the change")
    parser.add_argument("--input", default=str(SHARED / "data" / "online_retail.parquet"))
    parser.add_argument("--expect-change", action="append", default=[],
                        help="an output path (relative, e.g. run/clv/model.json) changed on purpose")
    parser.add_argument("--keep", action="store_true", help="keep the two working directories")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="custseg-same-outputs-"))
    try:
        for side, binary in (("before", args.before), ("after", args.after)):
            (work / side).mkdir()
            run_all(str(Path(binary).resolve()), work / side, str(Path(args.input).resolve()))
        before, after = files(work / "before"), files(work / "after")
        failures = 0
        for name in sorted(set(before) | set(after)):
            if name not in after or name not in before:
                state = "only before" if name not in after else "only after"
                expected = name in args.expect_change
                failures += not expected
                print(f"{'changed on purpose' if expected else 'DIFFERENT'}  {name}: {state}")
                continue
            a, b = normalise(before[name]), normalise(after[name])
            if a == b:
                exact = before[name].read_bytes() == after[name].read_bytes()
                print(f"same{'' if exact else ' (volatile fields aside)'}  {name}  "
                      f"{hashlib.sha256(a).hexdigest()[:12]}")
            elif name in args.expect_change:
                print(f"changed on purpose  {name}")
            else:
                failures += 1
                print(f"DIFFERENT  {name}")
        print(f"\n{len(set(before) | set(after))} files compared, {failures} differ unexpectedly")
        sys.exit(1 if failures else 0)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
