"""Reads back, with MLflow's own Python client, what a `custseg run` logged to a server.

Usage: read_back.py TRACKING_URI RUN_ID MODEL_NAME
Prints one JSON object: the run's params, latest metrics, tags, the search-metric history
length, the artifact paths, and the model version behind the `production` alias.
"""

import json
import sys

from mlflow.tracking import MlflowClient


def artifact_paths(client, run_id, path=None):
    found = []
    for item in client.list_artifacts(run_id, path):
        if item.is_dir:
            found.extend(artifact_paths(client, run_id, item.path))
        else:
            found.append(item.path)
    return found


def main():
    uri, run_id, model = sys.argv[1:4]
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run = client.get_run(run_id)
    history = client.get_metric_history(run_id, "search.silhouette")
    production = client.get_model_version_by_alias(model, "production")
    print(json.dumps({
        "status": run.info.status,
        "run_name": run.info.run_name,
        "params": run.data.params,
        "metrics": run.data.metrics,
        "tags": run.data.tags,
        "search_steps": sorted(m.step for m in history),
        "artifacts": sorted(artifact_paths(client, run_id)),
        "production": {"version": production.version, "run_id": production.run_id,
                       "source": production.source},
    }))


if __name__ == "__main__":
    main()
