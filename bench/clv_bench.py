#!/usr/bin/env python3
"""CLV benchmark: custseg's BG/NBD + Gamma-Gamma fits and 12-month CLV against `lifetimes`, side
by side on the same customer summary of the real UCI Online Retail data.

custseg writes `clv/summary.parquet` (`custseg clv`), then `custseg bench clv` times its fits and
scoring in-process; lifetimes 0.11.3 fits the same summary in this script. Parameters are
compared to 4 significant digits and the CLV totals side by side.

Then BG/NBD on 1,000,000 customers simulated from the BG/NBD process (`custseg bench
clv-simulated`, seeds 1..5): fit and scoring time, peak memory before and after the fit, and the
fitted parameters' distance from the truth, relative and in standard errors; lifetimes fits the
first sample too.

Usage:
  python3 bench/clv_bench.py [--runs 5] [--python /tmp/baselines/bin/python] [--skip-lifetimes-simulated]
  /tmp/baselines/bin/pip install lifetimes==0.11.3
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

LIFETIMES = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
s = pd.read_parquet(sys.argv[1]); runs = int(sys.argv[2])
repeat = s[(s.frequency > 0) & (s.monetary_value > 0)]
bg_t, gg_t, clv_t = [], [], []
for _ in range(runs):
    t0 = time.perf_counter(); bg = BetaGeoFitter(penalizer_coef=0.0).fit(s.frequency, s.recency, s["T"])
    t1 = time.perf_counter(); gg = GammaGammaFitter(penalizer_coef=0.0).fit(repeat.frequency, repeat.monetary_value)
    t2 = time.perf_counter(); clv = gg.customer_lifetime_value(bg, s.frequency, s.recency, s["T"], s.monetary_value, time=12, discount_rate=0.01, freq="D")
    t3 = time.perf_counter()
    bg_t.append(t1 - t0); gg_t.append(t2 - t1); clv_t.append(t3 - t2)
med = lambda v: sorted(v)[len(v) // 2]
print(json.dumps({"bg_nbd_seconds": med(bg_t), "gamma_gamma_seconds": med(gg_t), "clv_seconds": med(clv_t),
                  "bg_nbd": bg.params_.to_dict(), "gamma_gamma": {"p": gg.params_["p"], "q": gg.params_["q"], "gamma": gg.params_["v"]},
                  "clv_total": float(clv.sum())}))
"""


LIFETIMES_SIMULATED = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from lifetimes import BetaGeoFitter
s = pd.read_parquet(sys.argv[1])
t0 = time.perf_counter(); bg = BetaGeoFitter(penalizer_coef=0.0).fit(s.frequency, s.recency, s["T"]); t1 = time.perf_counter()
print(json.dumps({"bg_nbd_seconds": t1 - t0, "bg_nbd": bg.params_.to_dict()}))
"""


def run(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stderr}")
    return result.stdout


def describe(params: dict) -> str:
    return ", ".join(f"{k} {params[k]:.4f}" for k in ("r", "alpha", "a", "b"))


def same4(a: float, b: float) -> bool:
    return float(f"{a:.4g}") == float(f"{b:.4g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", default="/tmp/baselines/bin/python")
    parser.add_argument("--simulated-customers", type=int, default=1_000_000)
    parser.add_argument("--seeds", type=int, default=5, help="simulated samples (seeds 1..N)")
    parser.add_argument("--skip-lifetimes-simulated", action="store_true",
                        help="do not fit lifetimes on the simulated customers (it takes minutes)")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--bin", "custseg"], cwd=ROOT, check=True, capture_output=True)
    binary = str((Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "custseg").resolve())
    work = Path(tempfile.mkdtemp(prefix="custseg-clv-bench-"))
    run([binary, "-q", "clv", "--input", str(SHARED / "data" / "online_retail.csv.gz"), "--out", str(work / "out"), "--data-dir", str(work / "datasets")])
    summary = work / "out" / "clv" / "summary.parquet"
    ours = json.loads(run([binary, "bench", "clv", "--summary", str(summary), "--repeat", str(args.runs)]))
    theirs = json.loads(run([args.python, "-c", LIFETIMES, str(summary), str(args.runs)]))
    lifetimes_total = theirs["bg_nbd_seconds"] + theirs["gamma_gamma_seconds"] + theirs["clv_seconds"]
    print(f"## CLV on the real data ({ours['customers']} customers), medians of {args.runs} runs\n")
    print("| step | custseg (s) | lifetimes 0.11.3 (s) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| BG/NBD + Gamma-Gamma fits | {ours['fit_median_seconds']:.4f} | {theirs['bg_nbd_seconds'] + theirs['gamma_gamma_seconds']:.4f} | {(theirs['bg_nbd_seconds'] + theirs['gamma_gamma_seconds']) / ours['fit_median_seconds']:.1f}x |")
    print(f"| fits + 12-month CLV of every customer | {ours['fit_and_score_median_seconds']:.4f} | {lifetimes_total:.4f} | {lifetimes_total / ours['fit_and_score_median_seconds']:.1f}x |")
    print("\n| parameter | custseg | lifetimes | same to 4 significant digits |")
    print("| --- | ---: | ---: | --- |")
    for model, names in (("bg_nbd", ("r", "alpha", "a", "b")), ("gamma_gamma", ("p", "q", "gamma"))):
        for name in names:
            a, b = ours[model][name], theirs[model][name]
            print(f"| {model} {name} | {a:.6g} | {b:.6g} | {'yes' if same4(a, b) else 'NO'} |")
    print(f"| CLV total (12 months, 1 %/month) | {ours['clv_total']:.1f} | {theirs['clv_total']:.1f} | {'yes' if same4(ours['clv_total'], theirs['clv_total']) else 'NO'} |")

    # BG/NBD on customers simulated from the BG/NBD process (the CDNOW parameters, in weeks).
    n = args.simulated_customers
    print(f"\n## BG/NBD on {n:,} simulated customers (truth r 0.243, alpha 4.414, a 0.793, b 2.426; T uniform to 78 weeks)\n")
    print("| seed | fit (s) | P(alive) + expected purchases of all (s) | peak RSS before / after fit (MiB) | relative error r, alpha, a, b (%) | errors in standard errors |")
    print("| ---: | ---: | ---: | ---: | --- | --- |")
    dumped = work / "simulated.parquet"
    for seed in range(1, args.seeds + 1):
        argv = [binary, "bench", "clv-simulated", "--customers", str(n), "--seed", str(seed), "--repeat", str(args.runs if seed == 1 else 1)]
        if seed == 1:
            argv += ["--dump", str(dumped)]
        sim = json.loads(run(argv))
        truth, fitted, se = sim["truth"], sim["fitted"], sim["standard_errors"]
        z = [(fitted[k] - truth[k]) / e for k, e in zip(("r", "alpha", "a", "b"), se)]
        print(f"| {seed} | {sim['fit_median_seconds']:.3f} | {sim['score_median_seconds']:.3f} | {sim['peak_rss_mib_before_fit']:.0f} / {sim['peak_rss_mib']:.0f} | "
              f"{', '.join(f'{100 * e:.2f}' for e in sim['relative_errors'])} | {', '.join(f'{v:+.2f}' for v in z)} |")
        if seed == 1:
            first = sim
    if not args.skip_lifetimes_simulated:
        peer = json.loads(run([args.python, "-c", LIFETIMES_SIMULATED, str(dumped)]))
        print(f"\nSeed 1 fitted by lifetimes 0.11.3 on the same customers: {peer['bg_nbd_seconds']:.2f} s "
              f"({peer['bg_nbd_seconds'] / first['fit_median_seconds']:.1f}x custseg's {first['fit_median_seconds']:.3f} s); "
              f"parameters {describe(peer['bg_nbd'])} vs custseg {describe(first['fitted'])}.")


if __name__ == "__main__":
    main()
