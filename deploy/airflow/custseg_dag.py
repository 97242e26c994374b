"""custseg's pipeline as an Airflow DAG: one task per stage, with the edges of `custseg dag`.

Each task runs one stage with `custseg run --only STAGE`, which refuses to run when a stage
before it is out of date, and skips (exits 0 at once) when its own inputs are unchanged: the
lock file `custseg.lock` in the output directory makes re-runs and retries of a task cheap.

Set-up: put this file in the DAGs folder, and give the paths as Airflow Variables (or
environment variables of the same name):

    CUSTSEG_BIN     the custseg binary            (default: custseg on PATH)
    CUSTSEG_INPUT   the transaction log           (a path or an http(s) URL)
    CUSTSEG_OUT     the output directory          (default: /var/lib/custseg/out)
    CUSTSEG_ARGS    more `custseg run` arguments  (default: none), the same for every task

Tracking goes where `custseg` sends it: set MLFLOW_TRACKING_URI in the workers' environment to
log to an MLflow server.
"""

import os
from datetime import datetime

from airflow import DAG
from airflow.providers.standard.operators.bash import BashOperator


def setting(name, default):
    """An Airflow Variable, read when a task runs (templated), else the environment."""
    fallback = os.environ.get(name, default)
    return "{{ var.value.get('%s', '%s') }}" % (name, fallback)


# The stages and the stages each reads from, as `custseg dag --json` prints them.
STAGES = {
    "ingest": [],
    "clean": ["ingest"],
    "features": ["clean"],
    "clv": ["clean", "features"],
    "train": ["ingest", "features", "clv"],
    "evaluate": ["train"],
    "register": ["train", "evaluate"],
    "report": ["clean", "features", "clv", "train"],
}

with DAG(
    dag_id="custseg",
    description="Transaction log to customer segments: custseg's cached pipeline, one task per stage",
    schedule="0 3 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["custseg", "segmentation"],
) as dag:
    tasks = {
        stage: BashOperator(
            task_id=stage,
            bash_command=(
                f"{setting('CUSTSEG_BIN', 'custseg')} run --only {stage}"
                f" --input '{setting('CUSTSEG_INPUT', '')}'"
                f" --out '{setting('CUSTSEG_OUT', '/var/lib/custseg/out')}'"
                f" {setting('CUSTSEG_ARGS', '')}"
            ),
            retries=2,
        )
        for stage in STAGES
    }
    for stage, upstream in STAGES.items():
        for before in upstream:
            tasks[before] >> tasks[stage]
