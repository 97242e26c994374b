#!/usr/bin/env python3
"""Compares custseg's customer features with the seed platform's (shared/baselines/seed_pandas.py).

Every feature must agree to 1e-9 (absolute or relative) except Average_Days_Between_Purchases,
whose definition custseg fixes on purpose (see docs/features.md). Exits non-zero on a mismatch.

  python3 -m venv /tmp/baselines && /tmp/baselines/bin/pip install -r ../shared/baselines/requirements.txt
  cargo run --release -- features --input ../shared/data/online_retail.csv.gz --out /tmp/out
  /tmp/baselines/bin/python ../shared/baselines/seed_pandas.py --input ../shared/data/online_retail.csv.gz \
      --dump-features /tmp/seed_features.parquet
  /tmp/baselines/bin/python tests/reference/compare_with_seed.py /tmp/seed_features.parquet /tmp/out/features/customer_features.csv
"""
import sys

import numpy as np
import pandas as pd

DELIBERATELY_DIFFERENT = {"Average_Days_Between_Purchases"}

seed = pd.read_parquet(sys.argv[1]).set_index("CustomerID")
seed.index = seed.index.astype("int64")
ours = pd.read_csv(sys.argv[2]).set_index("CustomerID")
if list(seed.index) != list(ours.index):
    sys.exit(f"customer lists differ: seed {len(seed)}, custseg {len(ours)}")
failed = False
for column in seed.columns:
    expected = seed[column].to_numpy(float)
    actual = ours.loc[seed.index, column].to_numpy(float)
    diff = np.abs(expected - actual)
    bad = (diff > 1e-9) & (diff > 1e-9 * np.abs(expected))
    note = " (definition fixed on purpose)" if column in DELIBERATELY_DIFFERENT else ""
    print(f"{column:32s} customers differing: {int(bad.sum()):5d}{note}")
    failed |= bool(bad.any()) and column not in DELIBERATELY_DIFFERENT
sys.exit(1 if failed else 0)
