#!/usr/bin/env python3
"""Writes the scikit-learn reference values that custseg-ml's tests compare with.

Two fixtures:
  crates/custseg-ml/tests/fixtures/sklearn_small.json   deterministic pieces on a seeded synthetic
      matrix: StandardScaler, RobustScaler, PCA (components, explained variance ratio), K-Means
      (Lloyd) from given starting centroids, silhouette / Davies-Bouldin / Calinski-Harabasz for
      several labelings, adjusted Rand index.
  crates/custseg/tests/fixtures/iforest_real_scores.json   IsolationForest(contamination=0.05,
      random_state=42).score_samples on the real customer features (needs --features).

  python3 -m venv /tmp/reference && /tmp/reference/bin/pip install -r tests/reference/requirements.txt
  cargo run --release -- features --input ../shared/data/online_retail.csv.gz --out /tmp/out
  /tmp/reference/bin/python tests/reference/sklearn_reference.py --features /tmp/out/features/customer_features.parquet
"""
import argparse
import json
import pathlib

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import (adjusted_rand_score, calinski_harabasz_score,
                             davies_bouldin_score, silhouette_score)
from sklearn.preprocessing import RobustScaler, StandardScaler

ROOT = pathlib.Path(__file__).resolve().parents[2]
FEATURES = [
    "Days_Since_Last_Purchase", "Total_Transactions", "Total_Products_Purchased", "Total_Spend",
    "Average_Transaction_Value", "Unique_Products_Purchased", "Average_Days_Between_Purchases",
    "Day_Of_Week", "Hour", "Is_UK", "Cancellation_Frequency", "Cancellation_Rate",
    "Monthly_Spending_Mean", "Monthly_Spending_Std", "Spending_Trend",
]


def synthetic_matrix() -> np.ndarray:
    """400 x 6: four Gaussian blobs, one heavy-tailed column, one nearly constant column."""
    rng = np.random.default_rng(20261124)
    centres = np.array([[0, 0, 0], [6, 1, -2], [-3, 5, 1], [2, -4, 4]], dtype=float)
    blobs = np.vstack([c + rng.normal(scale=1.2, size=(100, 3)) for c in centres])
    heavy = rng.lognormal(mean=3.0, sigma=1.0, size=(400, 1))
    mixed = blobs @ rng.normal(size=(3, 1)) + rng.normal(scale=0.5, size=(400, 1))
    nearly_constant = 7.0 + rng.normal(scale=1e-3, size=(400, 1))
    return np.hstack([blobs, heavy, mixed, nearly_constant])


def small_fixture() -> dict:
    x = synthetic_matrix()
    standard = StandardScaler().fit(x)
    robust = RobustScaler().fit(x)
    scaled = standard.transform(x)
    pca = PCA().fit(scaled)
    # Lloyd from fixed starting centroids: rows 0, 100, 200, 300 (one per blob) for k = 4, and
    # the first k rows for the other k. tol = 0 runs until the labels stop changing.
    kmeans = {}
    labelings = {}
    for k in (2, 3, 4, 5, 6):
        rows = [0, 100, 200, 300] if k == 4 else list(range(k))
        init = scaled[rows]
        model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=300, tol=0.0,
                       algorithm="lloyd").fit(scaled)
        kmeans[str(k)] = {
            "init_rows": rows,
            "centers": model.cluster_centers_.tolist(),
            "labels": model.labels_.tolist(),
            "inertia": float(model.inertia_),
            "n_iter": int(model.n_iter_),
        }
        labels = model.labels_
        labelings[str(k)] = {
            "silhouette": float(silhouette_score(scaled, labels)),
            "davies_bouldin": float(davies_bouldin_score(scaled, labels)),
            "calinski_harabasz": float(calinski_harabasz_score(scaled, labels)),
        }
    a = kmeans["4"]["labels"]
    b = kmeans["5"]["labels"]
    return {
        "generator": f"tests/reference/sklearn_reference.py, scikit-learn {sklearn.__version__}",
        "x": x.tolist(),
        "standard_mean": standard.mean_.tolist(),
        "standard_scale": standard.scale_.tolist(),
        "robust_center": robust.center_.tolist(),
        "robust_scale": robust.scale_.tolist(),
        "pca_components": pca.components_.tolist(),
        "pca_explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
        "kmeans": kmeans,
        "metrics": labelings,
        "adjusted_rand_4_5": float(adjusted_rand_score(a, b)),
    }


def iforest_fixture(path: str) -> dict:
    import pandas as pd
    table = pd.read_parquet(path)
    forest = IsolationForest(contamination=0.05, random_state=42).fit(table[FEATURES].to_numpy())
    scores = forest.score_samples(table[FEATURES].to_numpy())
    return {
        "generator": f"tests/reference/sklearn_reference.py, scikit-learn {sklearn.__version__}",
        "model": "IsolationForest(contamination=0.05, random_state=42) on the 15 features",
        "customer_ids": [int(c) for c in table["CustomerID"]],
        "score_samples": [round(float(s), 12) for s in scores],
        "outliers": int((forest.predict(table[FEATURES].to_numpy()) == -1).sum()),
    }


def write(path: pathlib.Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", help="customer_features.parquet of the real dataset")
    args = parser.parse_args()
    write(ROOT / "crates/custseg-ml/tests/fixtures/sklearn_small.json", small_fixture())
    if args.features:
        write(ROOT / "crates/custseg/tests/fixtures/iforest_real_scores.json",
              iforest_fixture(args.features))
