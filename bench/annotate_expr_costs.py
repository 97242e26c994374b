#!/usr/bin/env python3
"""Costs of the annotate step's row tests, one form against another, on the engine custseg uses.

Times, on a canonical transactions table (what `custseg features` writes to `OUT/raw/`), with
DataFusion's Python bindings at the version custseg builds with, the forms of the
non-product stock-code test and the whole rule `CASE` of the annotate step, each counted over
every row. Best and median of --runs. The figures behind `fewer_digits_than` in
crates/custseg-data/src/clean/stock_code.rs come from here.

Usage:
  python3 -m venv /tmp/dfpy && /tmp/dfpy/bin/pip install datafusion==55.0.0
  custseg -q features --input DEMO_10M_DIR --out /tmp/x10 --no-cache
  /tmp/dfpy/bin/python bench/annotate_expr_costs.py /tmp/x10/raw/transactions.parquet
"""
from __future__ import annotations

import argparse
import statistics
import time

from datafusion import SessionConfig, SessionContext

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
           "CustomerID", "Country"]
SERVICE = "('NEXT DAY CARRIAGE', 'HIGH RESOLUTION IMAGE', 'POSTAGE', 'MANUAL', 'DISCOUNT', 'ADJUST BAD DEBT')"
REGEX = """NOT regexp_like("StockCode", '[0-9][^0-9]*[0-9]')"""
TRANSLATE = """(character_length("StockCode") - character_length(translate("StockCode", '0123456789', ''))) < 2"""
REPLACE = """character_length(regexp_replace("StockCode", '[^0-9]', '', 'g')) < 2"""


def rule_case(stock_code_test: str) -> str:
    """The annotate step's rule CASE, with the duplicate flag replaced by a cheap stand-in."""
    missing = " OR ".join(f'"{c}" IS NULL' for c in COLUMNS)
    return (f"CASE WHEN {missing} THEN 'missing_values' WHEN source_row % 97 = 0 THEN 'duplicate' "
            f"WHEN {stock_code_test} THEN 'non_product_stock_code' "
            f"WHEN upper(trim(\"Description\")) IN {SERVICE} THEN 'service_description' "
            f"WHEN \"UnitPrice\" <= 0 THEN 'invalid_price' END")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet", help="a canonical transactions table")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=4, help="as custseg: twice the cores")
    args = parser.parse_args()
    context = SessionContext(SessionConfig().with_target_partitions(args.partitions))
    context.register_parquet("raw", args.parquet)
    statements = {
        "stock code: regex match (before)": f"SELECT count(*) FROM raw WHERE {REGEX}",
        "stock code: translate (now)": f"SELECT count(*) FROM raw WHERE {TRANSLATE}",
        "stock code: regexp_replace length": f"SELECT count(*) FROM raw WHERE {REPLACE}",
        "rule CASE with the regex": f"SELECT count(r) FROM (SELECT {rule_case(REGEX)} AS r FROM raw)",
        "rule CASE with translate": f"SELECT count(r) FROM (SELECT {rule_case(TRANSLATE)} AS r FROM raw)",
    }
    for name, sql in statements.items():
        seconds = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = context.sql(sql).collect()
            seconds.append(time.perf_counter() - start)
        count = result[0].column(0)[0]
        print(f"| {name} | {min(seconds):.3f} | {statistics.median(seconds):.3f} | {count} |")


if __name__ == "__main__":
    main()
