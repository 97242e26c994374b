#!/usr/bin/env python3
"""Reference values for custseg's drift statistics (crates/custseg-serve/src/drift/statistics.rs).

Writes crates/custseg-serve/tests/fixtures/drift_reference.json: seeded sample pairs and, for
each, scipy's Kolmogorov-Smirnov statistic (ks_2samp) and the asymptotic p-value
(kstwobign.sf(sqrt(n m / (n + m)) D), ks_2samp's large-sample method), scipy's Wasserstein
distance over the reference's population standard deviation, scipy's Jensen-Shannon distance
over the reference's decile bins, and PSI on the reference's deciles and on numpy's Sturges bins
of the combined sample (Evidently's binning), empty shares raised to 1e-4; scipy's Mann-Whitney
test of current against reference (asymptotic, tie and continuity corrections), and
chi2_contingency on a 2 x k table of counts (no Yates correction).

Usage (pinned versions in requirements.txt):
  python3 tests/reference/drift_reference.py
"""
import json
from pathlib import Path

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

OUT = Path(__file__).resolve().parents[2] / "crates/custseg-serve/tests/fixtures/drift_reference.json"
EMPTY = 1e-4


def shares(values, edges):
    inner = edges[1:-1]
    bins = np.searchsorted(inner, values, side="right")
    counts = np.bincount(bins, minlength=len(edges) - 1)
    return counts / counts.sum()


def psi(r, c):
    r, c = np.maximum(r, EMPTY), np.maximum(c, EMPTY)
    return float(np.sum((c - r) * np.log(c / r)))


def case(name, reference, current):
    reference, current = np.asarray(reference, float), np.asarray(current, float)
    deciles = np.quantile(reference, np.linspace(0, 1, 11))
    sturges = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
    d = stats.ks_2samp(reference, current).statistic
    n, m = len(reference), len(current)
    mw = stats.mannwhitneyu(current, reference, method="asymptotic", use_continuity=True)
    ref_shares, cur_shares = shares(reference, deciles), shares(current, deciles)
    return {
        "name": name,
        "reference": reference.tolist(),
        "current": current.tolist(),
        "ks_statistic": float(d),
        "ks_p_value": float(stats.kstwobign.sf(np.sqrt(n * m / (n + m)) * d)),
        "wasserstein_normed": float(stats.wasserstein_distance(reference, current) / np.std(reference)),
        "jensen_shannon": float(jensenshannon(ref_shares, cur_shares)),
        "psi_deciles": psi(ref_shares, cur_shares),
        "psi_sturges": psi(shares(reference, sturges), shares(current, sturges)),
        "mann_whitney_u": float(mw.statistic),
        "mann_whitney_p": float(mw.pvalue),
    }


def main():
    rng = np.random.default_rng(20261201)
    cases = [
        case("same_normal", rng.normal(0, 1, 400), rng.normal(0, 1, 300)),
        case("shifted_normal", rng.normal(0, 1, 400), rng.normal(0.3, 1, 300)),
        case("scaled_lognormal", rng.lognormal(5, 1, 500), rng.lognormal(5, 1, 250) * 1.5),
        case("integers_with_ties", rng.poisson(3, 400), rng.poisson(4, 350)),
        case("small_far_apart", rng.normal(0, 1, 40), rng.normal(3, 1, 30)),
    ]
    tables = []
    for reference, current in [([500, 300, 200], [60, 25, 15]), ([40, 0, 7, 90], [10, 3, 0, 40]), ([1000, 1000], [1000, 1000])]:
        statistic, p, _, _ = stats.chi2_contingency(np.array([reference, current]), correction=False)
        tables.append({"reference": reference, "current": current, "chi_square": float(statistic), "p_value": float(p)})
    OUT.write_text(json.dumps({"scipy": __import__("scipy").__version__, "numpy": np.__version__, "cases": cases, "segment_tables": tables}, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
