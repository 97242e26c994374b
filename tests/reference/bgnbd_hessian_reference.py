#!/usr/bin/env python3
"""Reference standard errors of the BG/NBD fit on the CDNOW sample, computed independently of
custseg (crates/custseg-clv/src/bgnbd.rs and fit.rs).

The log-likelihood is lifetimes' (Fader, Hardie & Lee 2005, equation 3, as
`BetaGeoFitter._negative_log_likelihood` writes it with log-gamma functions); the maximum is
found by scipy's Nelder-Mead on log-parameters, and the observed information is a numerical
Hessian of the log-likelihood itself (central second differences of the function, where custseg
differentiates its analytic gradient). Standard errors are the square roots of the diagonal of
its inverse. Also: the sum over customers of the expected purchases in the 39-week holdout given
each history (lifetimes' `conditional_expected_number_of_purchases_up_to_time`, with scipy's
hyp2f1), and the purchase days actually made in it.

Writes crates/custseg-clv/tests/fixtures/bgnbd_cdnow_standard_errors.json.

Usage (pinned versions in requirements.txt):
  python3 tests/reference/bgnbd_hessian_reference.py
"""
import datetime as dt
import json
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared/data/cdnow/CDNOW_sample.txt"
OUT = ROOT / "crates/custseg-clv/tests/fixtures/bgnbd_cdnow_standard_errors.json"
END = dt.date(1997, 9, 30)


def summary():
    """(x, t_x, T) in weeks per customer: repeat purchase days up to END."""
    days = {}
    for line in DATA.read_text().splitlines():
        fields = line.split()
        if not fields:
            continue
        day = dt.datetime.strptime(fields[2], "%Y%m%d").date()
        if day <= END:
            days.setdefault(int(fields[1]), set()).add(day)
    return summary_of(days)


def holdout_days():
    """Distinct (customer, day) purchases after END, of customers who bought up to END."""
    calibration_customers, holdout = set(), set()
    for line in DATA.read_text().splitlines():
        fields = line.split()
        if not fields:
            continue
        customer = int(fields[1])
        day = dt.datetime.strptime(fields[2], "%Y%m%d").date()
        if day <= END:
            calibration_customers.add(customer)
        else:
            holdout.add((customer, day))
    return sum(1 for customer, _ in holdout if customer in calibration_customers)


def conditional_expected_purchases(params, x, t_x, big_t, t):
    r, alpha, a, b = params
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
    numerator = (a + b + x - 1) / (a - 1) * (1 - hyp * ((alpha + big_t) / (alpha + t + big_t)) ** (r + x))
    odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0.0)
    return numerator / (1 + odds)


def summary_of(days):
    x, t_x, big_t = [], [], []
    for customer in sorted(days):
        ordered = sorted(days[customer])
        x.append(len(ordered) - 1)
        t_x.append((ordered[-1] - ordered[0]).days / 7.0)
        big_t.append((END - ordered[0]).days / 7.0)
    return np.array(x, float), np.array(t_x), np.array(big_t)


def log_likelihood(params, x, t_x, big_t):
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + big_t)
    a4 = np.where(
        x > 0,
        np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))


def hessian(f, theta):
    """Central second differences of f at theta, steps relative to each parameter."""
    n = len(theta)
    h = 1e-4 * np.abs(theta)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            def at(di, dj):
                point = theta.copy()
                point[i] += di * h[i]
                point[j] += dj * h[j]
                return f(point)
            out[i, j] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j])
    return out


def main():
    x, t_x, big_t = summary()
    negative = lambda u: -log_likelihood(np.exp(u), x, t_x, big_t)
    fitted = minimize(negative, np.log([0.5, 5.0, 1.0, 2.0]), method="Nelder-Mead",
                      options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000, "maxfev": 40000})
    theta = np.exp(fitted.x)
    information = -hessian(lambda p: log_likelihood(p, x, t_x, big_t), theta)
    covariance = np.linalg.inv(information)
    result = {
        "source": "tests/reference/bgnbd_hessian_reference.py",
        "customers": int(len(x)),
        "params": dict(zip(["r", "alpha", "a", "b"], theta.tolist())),
        "log_likelihood": log_likelihood(theta, x, t_x, big_t),
        "standard_errors": dict(zip(["r", "alpha", "a", "b"], np.sqrt(np.diag(covariance)).tolist())),
        "covariance": covariance.tolist(),
        "holdout_weeks": 39,
        "holdout_expected_purchases": float(conditional_expected_purchases(theta, x, t_x, big_t, 39.0).sum()),
        "holdout_purchases": holdout_days(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
