#!/usr/bin/env python3
"""The polars baseline's data stages alone (read + clean + features), on one engine.

Loads ../shared/baselines/modern_polars.py as it is and runs its `etl` (the stages before the
model), with polars' in-memory or streaming engine chosen through polars' engine affinity.
Prints the baseline's own stage lines, then one JSON line:
  {"type": "data_stages", "engine": ..., "seconds": ..., "customers": ..., "rows": {...}}
The process writes no file; its wall time and peak memory are measured by the caller.

Usage:
  python bench/polars_stages.py --input 'DIR/*.parquet' --engine streaming
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

BASELINE = Path(__file__).resolve().parent.parent.parent / "shared" / "baselines" / "modern_polars.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="a file or a glob the baseline reads")
    parser.add_argument("--engine", choices=["in-memory", "streaming"], default="in-memory")
    args = parser.parse_args()

    spec = importlib.util.spec_from_file_location("modern_polars", BASELINE)
    baseline = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(baseline)
    baseline.pl.Config.set_engine_affinity(args.engine)

    options = argparse.Namespace(input=args.input, cache=None, workdir="/tmp/modern_polars_work",
                                 breakdown=False, audit=False)
    clock = baseline.StageClock({"input": args.input, "label": args.engine, "mode": "default"})
    facts: dict = {}
    start = time.perf_counter()
    features = baseline.etl(options, clock, facts)
    seconds = time.perf_counter() - start
    print(json.dumps({"type": "data_stages", "engine": args.engine, "seconds": round(seconds, 6),
                      "customers": features.height, "rows": facts.get("rows", {})}), flush=True)


if __name__ == "__main__":
    main()
