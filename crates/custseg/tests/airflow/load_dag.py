"""Loads a DAG folder with Airflow's DagBag and prints what it parsed, as JSON.

Usage: load_dag.py DAG_FOLDER   (set AIRFLOW_HOME to a temporary directory first)
"""

import json
import sys

from airflow.dag_processing.dagbag import DagBag


def main():
    bag = DagBag(dag_folder=sys.argv[1])
    dags = {}
    for dag_id, dag in bag.dags.items():
        dags[dag_id] = {
            "schedule": getattr(dag.timetable, "expression", None) or repr(dag.timetable),
            "tasks": {
                task.task_id: {
                    "downstream": sorted(task.downstream_task_ids),
                    "bash_command": getattr(task, "bash_command", None),
                    "retries": task.retries,
                }
                for task in dag.tasks
            },
        }
    # Airflow logs to stdout too: the JSON is the last line.
    print(json.dumps({
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
        "dags": dags,
    }))


if __name__ == "__main__":
    main()
