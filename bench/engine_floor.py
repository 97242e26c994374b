#!/usr/bin/env python3
"""The query engine's floor under `custseg features` at any size: a strict subset of its work.

Runs, in plain DataFusion (its Python bindings at the version custseg builds with, so the same
engine in a release build), the least that any DataFusion implementation of `custseg features`
must do, each step in the cheapest form found so far, on the canonical table custseg's ingest
writes (`OUT/raw/transactions.parquet`: the input already in the canonical schema with its
`source_row`, so reading the log's own files and writing the canonical table are left out):
  1. the exact-duplicate check in the form custseg uses (crates/custseg-data/src/clean/
     duplicates.rs: the `(InvoiceNo, StockCode, Quantity)` candidate keys in --passes passes,
     then the candidates' rows grouped by all eight columns), kept in
     memory, not written; the form of `examples/engine_floor.rs` (no NULL handling, no
     scratch files) took 3.9 s on the 10M-row demo log against 1.7 s for custseg's form of the
     time (which numbered the rows with a `row_number()` window; grouping them is faster);
  2. one `COPY` of the kept rows (not a duplicate, none of the four dropping rules) with
     `status` and `line_total` to a Parquet file, encoded as custseg encodes its clean file
     (zstd level 1, row groups of 256Ki rows, no dictionary for the four columns of unique
     values or runs): the clean file alone;
  3. one aggregate per customer over that file (recency, invoices, quantity, spend, first and
     last day: five of the fifteen features), collected.
Left out, beyond reading the log and writing the canonical table: the quarantine file, the
quality profiles, ten more features and the feature files. The time printed is a floor under
the command's, not an estimate of it. Prints a JSON line:
  {"type": "engine_floor", "seconds": ..., "steps": {...}, "duplicates": ..., "clean_rows": ..., "customers": ...}

Usage:
  python3 -m venv /tmp/dfpy && /tmp/dfpy/bin/pip install datafusion==55.0.0
  /tmp/dfpy/bin/python bench/engine_floor.py OUT/raw/transactions.parquet WORKDIR \
      [--memory-limit-bytes N --passes 3]
`bench/data_stages_bench.py --floor /tmp/dfpy/bin/python` runs it beside custseg and polars.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pyarrow as pa
from datafusion import RuntimeEnvBuilder, SessionConfig, SessionContext

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
           "CustomerID", "Country"]
SERVICE = ("'NEXT DAY CARRIAGE', 'HIGH RESOLUTION IMAGE', 'POSTAGE', 'MANUAL', 'DISCOUNT', "
           "'ADJUST BAD DEBT'")
#: Columns custseg's clean file encodes without a dictionary (crates/custseg-data/src/parquet_settings.rs).
PLAIN_COLUMNS = ["source_row", "InvoiceNo", "InvoiceDate", "CustomerID"]


def candidates_sql(passes: int, bucket: int) -> str:
    """The candidate keys of one pass, as `candidates_sql` in duplicates.rs writes them."""
    where = ""
    if passes > 1:
        residue = ('(coalesce("CustomerID", 0) + coalesce(CAST("InvoiceDate" AS BIGINT) / 60000000, 0)'
                   f' + coalesce("Quantity", 0)) % {passes}')
        where = f"WHERE {residue} IN ({bucket}, {bucket - passes})"
    return ('SELECT coalesce("InvoiceNo", \'\') AS k0, coalesce("StockCode", \'\') AS k1, '
            f'coalesce("Quantity", 0) AS k2 FROM raw {where} GROUP BY 1, 2, 3 HAVING count(*) > 1')


DUPLICATE_ROWS = f"""
SELECT duplicate_row FROM (
  SELECT unnest(occurrences) AS duplicate_row, first FROM (
    SELECT min(raw.source_row) AS first, array_agg(raw.source_row) AS occurrences
    FROM (SELECT DISTINCT k0, k1, k2 FROM candidates) AS candidate
    JOIN raw ON coalesce(raw."InvoiceNo", '') = candidate.k0 AND coalesce(raw."StockCode", '') = candidate.k1
     AND coalesce(raw."Quantity", 0) = candidate.k2
    GROUP BY {", ".join(f'raw."{c}"' for c in COLUMNS)} HAVING count(*) > 1))
WHERE duplicate_row > first
"""

KEPT = f"""
SELECT source_row, "InvoiceNo", "StockCode", upper(trim("Description")) AS "Description",
       "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country",
       CASE WHEN starts_with("InvoiceNo", 'C') THEN 'cancelled' ELSE 'completed' END AS status,
       CAST("Quantity" AS DOUBLE) * "UnitPrice" AS line_total
FROM raw
WHERE source_row NOT IN (SELECT duplicate_row FROM duplicate_rows)
  AND {" AND ".join(f'"{c}" IS NOT NULL' for c in COLUMNS)}
  AND (character_length("StockCode") - character_length(translate("StockCode", '0123456789', ''))) >= 2
  AND upper(trim("Description")) NOT IN ({SERVICE})
  AND "UnitPrice" > 0
"""

PER_CUSTOMER = """
SELECT "CustomerID",
       max(CAST("InvoiceDate" AS DATE)) AS last_day, min(CAST("InvoiceDate" AS DATE)) AS first_day,
       count(DISTINCT "InvoiceNo") AS transactions, sum("Quantity") AS quantity, sum(line_total) AS spend
FROM clean GROUP BY "CustomerID" ORDER BY "CustomerID"
"""


def session(partitions: int, memory_limit: int | None) -> SessionContext:
    """A session configured as custseg's local one (crates/custseg-data/src/engine.rs)."""
    never = str(2**63 - 1)
    config = (SessionConfig().with_target_partitions(partitions).with_information_schema(False)
              .set("datafusion.optimizer.hash_join_single_partition_threshold", never)
              .set("datafusion.optimizer.hash_join_single_partition_threshold_rows", never))
    runtime = RuntimeEnvBuilder()
    if memory_limit:
        runtime = runtime.with_greedy_memory_pool(memory_limit)
    return SessionContext(config, runtime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("canonical", help="custseg's canonical table, OUT/raw/transactions.parquet")
    parser.add_argument("work", help="where the clean file is written")
    parser.add_argument("--partitions", type=int, default=4, help="as custseg: twice the cores")
    parser.add_argument("--memory-limit-bytes", type=int)
    parser.add_argument("--passes", type=int, default=1, help="as custseg's candidate_passes")
    args = parser.parse_args()
    started = time.perf_counter()
    steps = {}

    def lap(name: str) -> None:
        steps[name] = round(time.perf_counter() - started - sum(steps.values()), 4)

    context = session(args.partitions, args.memory_limit_bytes)
    context.register_parquet("raw", args.canonical)
    candidates = [batch for bucket in range(args.passes)
                  for batch in context.sql(candidates_sql(args.passes, bucket)).collect()]
    context.register_record_batches("candidates", [candidates])
    # Declared non-null, as they are: over a nullable column `NOT IN` would need the engine's
    # null-aware anti join, which took twice as long for the clean file.
    not_null = pa.schema([pa.field("duplicate_row", pa.int64(), nullable=False)])
    duplicates = [pa.RecordBatch.from_arrays([batch.column(0)], schema=not_null)
                  for batch in context.sql(DUPLICATE_ROWS).collect()]
    context.register_record_batches("duplicate_rows", [duplicates])
    lap("duplicates")

    clean = Path(args.work) / "clean.parquet"
    clean.unlink(missing_ok=True)
    options = ["'format.compression' 'zstd(1)'", "'format.max_row_group_size' '262144'"]
    options += [f"'format.dictionary_enabled::{column}' 'false'" for column in PLAIN_COLUMNS]
    written = context.sql(f"COPY ({KEPT}) TO '{clean}' STORED AS PARQUET OPTIONS ({', '.join(options)})").collect()
    lap("clean file")

    context.register_parquet("clean", str(clean))
    customers = sum(batch.num_rows for batch in context.sql(PER_CUSTOMER).collect())
    lap("five features")
    print(json.dumps({
        "type": "engine_floor", "seconds": round(time.perf_counter() - started, 4), "steps": steps,
        "duplicates": sum(batch.num_rows for batch in duplicates),
        "clean_rows": written[0].column(0)[0].as_py(), "customers": customers,
    }), flush=True)


if __name__ == "__main__":
    main()
