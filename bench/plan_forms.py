#!/usr/bin/env python3
"""Alternative SQL forms of custseg's data-stage statements, timed against the forms it uses.

The figures behind the choices of session 34 (#42) come from here: the duplicate rows found by
grouping against a `row_number()` window (crates/custseg-data/src/clean/duplicates.rs), a
single-integer candidate key against the `(InvoiceNo, StockCode, Quantity)` key, the quality
profiles' `count(DISTINCT)`s against `SELECT DISTINCT` subqueries (clean/profile.rs), and the
candidate and products aggregates under more target partitions. Each form runs --runs times,
alternately, with DataFusion's Python bindings at the version custseg builds with; it prints
the best time and what the statement found, so that two forms can be seen to agree.

Usage:
  python3 -m venv /tmp/dfpy && /tmp/dfpy/bin/pip install datafusion==55.0.0
  custseg -q features --input DEMO_10M_DIR --out /tmp/x10 --no-cache
  /tmp/dfpy/bin/python bench/plan_forms.py /tmp/x10/raw/transactions.parquet \
      --clean /tmp/x10/clean/transactions.parquet [--memory-limit-bytes N] [--runs 3]
"""
from __future__ import annotations

import argparse
import time

from datafusion import RuntimeEnvBuilder, SessionConfig, SessionContext

from engine_floor import COLUMNS, DUPLICATE_ROWS, candidates_sql

RAW_COLUMNS = ", ".join(f'raw."{c}"' for c in COLUMNS)
JOINED = """
    FROM (SELECT DISTINCT k0, k1, k2 FROM candidates) AS candidate
    JOIN raw ON coalesce(raw."InvoiceNo", '') = candidate.k0 AND coalesce(raw."StockCode", '') = candidate.k1
     AND coalesce(raw."Quantity", 0) = candidate.k2"""
WINDOW = f"""
SELECT duplicate_row FROM (
  SELECT raw.source_row AS duplicate_row,
    row_number() OVER (PARTITION BY {RAW_COLUMNS} ORDER BY raw.source_row) AS occurrence {JOINED})
WHERE occurrence > 1"""

#: The parts of a single-integer candidate key, each NULL-safe; summed with wrapping arithmetic.
KEY_PARTS = {
    "date": 'CAST("InvoiceDate" AS BIGINT)', "cust": '"CustomerID"', "qty": '"Quantity"',
    "price": 'TRY_CAST("UnitPrice" * 1000.0 AS BIGINT)', "lsc": 'octet_length("StockCode")',
    "ldesc": 'octet_length("Description")', "inv": 'TRY_CAST("InvoiceNo" AS BIGINT)',
    "sc": 'TRY_CAST("StockCode" AS BIGINT)',
}
PRIMES = [1000003, 2654435761, 40503, 2246822519, 3266489917, 668265263, 374761393, 97]


def integer_key(parts: list[str]) -> str:
    return " + ".join(f"coalesce({KEY_PARTS[p]}, 0) * {PRIMES[i]}" for i, p in enumerate(parts))


def candidate_count(key: str) -> str:
    return f"SELECT count(*) AS groups, sum(n) AS rows FROM (SELECT count(*) AS n FROM raw GROUP BY {key} HAVING count(*) > 1)"


def profile_sql(table: str, split: bool) -> str:
    plain = (f'count(*) AS rows, sum(CASE WHEN starts_with("InvoiceNo", \'C\') THEN 1 ELSE 0 END) AS cancellations, '
             f'min("InvoiceDate") AS first_date, max("InvoiceDate") AS last_date, '
             + ", ".join(f'count("{c}")' for c in COLUMNS))
    distinct = ["InvoiceNo", "StockCode", "CustomerID", "Country"]
    if not split:
        return f"SELECT {plain}, " + ", ".join(f'count(DISTINCT "{c}") AS d{i}' for i, c in enumerate(distinct)) + f" FROM {table}"
    return f"SELECT * FROM (SELECT {plain} FROM {table})" + "".join(
        f' CROSS JOIN (SELECT count("{c}") AS d{i} FROM (SELECT DISTINCT "{c}" FROM {table}))'
        for i, c in enumerate(distinct))


PRODUCTS = 'SELECT count(*), sum(n) FROM (SELECT "CustomerID", count(DISTINCT "StockCode") AS n FROM clean GROUP BY 1)'


def session(partitions: int, limit: int | None, raw: str, clean: str | None) -> SessionContext:
    never = str(2**63 - 1)
    config = (SessionConfig().with_target_partitions(partitions)
              .set("datafusion.optimizer.hash_join_single_partition_threshold", never)
              .set("datafusion.optimizer.hash_join_single_partition_threshold_rows", never))
    runtime = RuntimeEnvBuilder()
    if limit:
        runtime = runtime.with_greedy_memory_pool(limit)
    context = SessionContext(config, runtime)
    context.register_parquet("raw", raw)
    if clean:
        context.register_parquet("clean", clean)
    return context


def compare(context: SessionContext, title: str, forms: dict[str, str], runs: int,
            same: bool = False) -> None:
    """Runs `forms` alternately and prints each one's best time and the sorted result's summary;
    with `same`, also whether every form found exactly the same rows."""
    best = {name: float("inf") for name in forms}
    found = {}
    whole = {}
    for _ in range(runs):
        for name, sql in forms.items():
            start = time.perf_counter()
            batches = context.sql(sql).collect()
            best[name] = min(best[name], time.perf_counter() - start)
            values = sorted(tuple(v.as_py() for v in row) for b in batches for row in zip(*b.columns))
            found[name] = (len(values), values[:3] if len(values) > 3 else values)
            whole[name] = values
    print(f"\n{title}")
    for name in forms:
        print(f"| {name} | {best[name]:.3f} s | {found[name][0]} rows: {found[name][1]} |")
    if same:
        results = list(whole.values())
        print(f"same result from every form: {all(r == results[0] for r in results)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", help="custseg's canonical table, OUT/raw/transactions.parquet")
    parser.add_argument("--clean", help="custseg's clean table, for the profile and products forms")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=4, help="as custseg: twice the cores")
    parser.add_argument("--memory-limit-bytes", type=int)
    args = parser.parse_args()
    context = session(args.partitions, args.memory_limit_bytes, args.raw, args.clean)
    context.register_record_batches("candidates", [context.sql(candidates_sql(1, 0)).collect()])

    compare(context, "duplicate rows",
            {"row_number() window (before)": WINDOW, "grouping (now)": DUPLICATE_ROWS}, args.runs,
            same=True)
    current = "coalesce(\"InvoiceNo\", ''), coalesce(\"StockCode\", ''), coalesce(\"Quantity\", 0)"
    compare(context, "candidate keys: groups and rows that repeat a key", {
        "(InvoiceNo, StockCode, Quantity) (now)": candidate_count(current),
        **{"integer: " + "+".join(parts): candidate_count(integer_key(parts)) for parts in (
            ["date", "cust", "qty", "price", "lsc", "ldesc"],
            ["date", "cust", "qty", "price", "ldesc", "sc"],
            ["date", "cust", "qty", "price", "lsc", "ldesc", "inv", "sc"])},
    }, args.runs)
    tables = ["raw"] + (["clean"] if args.clean else [])
    for table in tables:
        compare(context, f"profile of {table}", {
            "count(DISTINCT) (now)": profile_sql(table, split=False),
            "SELECT DISTINCT subqueries": profile_sql(table, split=True),
        }, args.runs, same=True)
    for partitions in (8, 16):
        wider = session(partitions, args.memory_limit_bytes, args.raw, args.clean)
        forms = {f"candidates, {partitions} partitions": candidate_count(current)}
        if args.clean:
            forms[f"products, {partitions} partitions"] = PRODUCTS
        compare(wider, f"{partitions} target partitions (against {args.partitions} above)", forms, args.runs)
    if args.clean:
        compare(context, f"products, {args.partitions} partitions", {"products": PRODUCTS}, args.runs)


if __name__ == "__main__":
    main()
