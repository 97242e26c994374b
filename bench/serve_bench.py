#!/usr/bin/env python3
"""Load benchmark of `custseg serve` with wrk on 127.0.0.1 (apt-get install wrk).

Trains on the real UCI data with the release binary, starts the server (prediction log on, as
deployed), and runs wrk: single-instance requests over 16 keep-alive connections, the same with
`Connection: close`, batches of 1,000 instances over 4 connections (one instance repeated,
and 1,000 different customers of the training table), and single instances while batches of
real customers keep arriving. wrk and the server share this machine's two cores. Prints a
Markdown table, then the floor of one batch request from `custseg bench predict`: the CPU its
parse and scoring take without any HTTP, which bounds the batch requests/s of any server.

Usage:
  python3 bench/serve_bench.py [--seconds 10] [--threads 2]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BODY"), "r")
wrk.body = f:read("*a")
f:close()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, body: Path, script: Path, connections: int, threads: int, seconds: int, close: bool) -> dict:
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(script)]
    if close:
        argv += ["-H", "Connection: close"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, env={**os.environ, "BODY": str(body)}, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([0-9.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%"), "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(0) if socket_errors else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--binary", type=Path, help="a custseg binary to measure (default: build this tree's release binary)")
    args = parser.parse_args()
    if args.binary:
        binary = str(args.binary.resolve())
    else:
        subprocess.run(["cargo", "build", "--release", "--bin", "custseg"], cwd=ROOT, check=True, capture_output=True)
        binary = str((Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "custseg").resolve())
    work = Path(tempfile.mkdtemp(prefix="custseg-serve-bench-"))
    subprocess.run([binary, "-q", "run", "--input", str(SHARED / "data" / "online_retail.parquet"), "--out", str(work / "out"),
                    "--skip-report", "--data-dir", str(work / "datasets")], check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--model", str(work / "out/model/model.json"), "--addr", f"127.0.0.1:{port}",
                               "--log-dir", str(work / "monitoring")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=work)
    try:
        server.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        model = json.load(urllib.request.urlopen(f"{base}/v1/model"))
        features = model["features"]
        one = {name: float(i + 1) for i, name in enumerate(features)}
        (work / "one.json").write_text(json.dumps({"instances": [one]}))
        (work / "batch.json").write_text(json.dumps({"instances": [one] * 1000}))
        # 1,000 different customers: the walks through the outlier detector's trees and the
        # numbers to parse differ from instance to instance, as in real traffic.
        with open(work / "out" / "features" / "customer_features.csv", newline="") as table:
            customers = [{name: float(row[name]) for name in features} for row in csv.DictReader(table)][:1000]
        (work / "customers.json").write_text(json.dumps({"instances": customers}))
        (work / "post.lua").write_text(LUA)
        runs = [
            ("single instance, 16 connections, keep-alive", "one.json", 16, False, "30,000 req/s, p99 < 5 ms"),
            ("single instance, 16 connections, Connection: close", "one.json", 16, True, "8,000 req/s"),
            ("1,000 copies of one instance per request, 4 connections", "batch.json", 4, False, "2,000 req/s"),
            ("1,000 real customers per request, 4 connections", "customers.json", 4, False, "2,000 req/s"),
        ]
        print(f"## `custseg serve` under wrk on 127.0.0.1 ({args.seconds} s each, {args.threads} wrk threads, 2 cores shared)\n")
        print("| load | requests/s | p50 (ms) | p99 (ms) | non-2xx | target |")
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        for label, body, connections, close, target in runs:
            r = wrk(f"{base}/predict", work / body, work / "post.lua", connections, args.threads, args.seconds, close)
            print(f"| {label} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non_2xx']} | {target} |")
        # Mixed traffic: single instances while batches keep arriving. The batch wrk runs a
        # second longer on each side, so the single-instance run sees batches throughout.
        batch_argv = ["wrk", "-t", "1", "-c", "2", "-d", f"{args.seconds + 2}s", "--latency", "-s", str(work / "post.lua"),
                      f"{base}/predict"]
        batches = subprocess.Popen(batch_argv, stdout=subprocess.PIPE, text=True,
                                   env={**os.environ, "BODY": str(work / "customers.json")})
        time.sleep(1)
        single = wrk(f"{base}/predict", work / "one.json", work / "post.lua", 8, 1, args.seconds, False)
        batch_out = batches.communicate(timeout=args.seconds + 60)[0]
        batch_rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", batch_out).group(1))
        print(f"| single instance, 8 connections, beside batches of 1,000 real customers (2 connections: "
              f"{batch_rps:,.0f} req/s) | {single['rps']:,.0f} | {single['p50']:.2f} | {single['p99']:.2f} | "
              f"{single['non_2xx']} | none set |")
        dropped = re.search(r"custseg_prediction_log_dropped (\d+)", urllib.request.urlopen(f"{base}/metrics").read().decode())
        print(f"\nPrediction log records dropped under this load: {dropped.group(1) if dropped else 'n/a'}.")
        # The floor of a batch: parsing its body and scoring it, in-process on one thread, with
        # no HTTP, answer or log. No server of this model spends less CPU on such a request.
        floor = json.loads(subprocess.run([binary, "bench", "predict", "--model", str(work / "out/model/model.json"),
                                           "--body", str(work / "customers.json")],
                                          check=True, capture_output=True, text=True).stdout)
        print(f"\nFloor of one request of 1,000 real customers (`custseg bench predict`, one thread, no HTTP): "
              f"parse {floor['parse_ms']['best']:.2f} ms + scoring {floor['score_ms']['best']:.2f} ms "
              f"(of which the Isolation Forest's {floor['trees']} trees {floor['outlier_scores_ms']['best']:.2f} ms) "
              f"= {floor['floor_ms']:.2f} ms of CPU, so at most {floor['ceiling_requests_per_second']:,.0f} requests/s "
              f"on {floor['cores']} cores before HTTP and the load generator take their share.")
    finally:
        server.terminate()
        server.wait(timeout=30)
        # The prediction log of a run holds gigabytes of batches.
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
