#!/usr/bin/env python3
"""Scaling benchmark of `custseg features`: 1M, 10M, 100M demo rows, local and on a loopback cluster.

For every size it generates (once, kept in --work) a partitioned demo log with
`custseg demo-data --partitions`, then times the whole `custseg features` process:
  * local: `--memory-limit` (default 4GiB), parse cache off, so every run parses;
  * cluster: a Ballista scheduler and two executors (`--concurrency 1`) started from the same
    binary on 127.0.0.1, and `features --engine df://...` (the executors parse the Parquet
    parts, one job per file, and run the clean and feature plans; the client writes the clean
    and quarantine files from the rows they stream back).
Per run it records wall time, rows/s, the client's peak RSS (wait4), each executor's peak RSS
(VmHWM, reset before the run), and the per-stage table `custseg features` prints.
Writes a Markdown table and a log-log chart (SVG, drawn here without plotting libraries) to
--out-dir, and prints the table.

Usage:
  CARGO_TARGET_DIR=~/.cache/custseg-release python3 bench/scaling_bench.py \
      [--rows 1000000 10000000 100000000] [--runs 1] [--cluster-max-rows 100000000] [--engines local cluster]
  python3 bench/scaling_bench.py --summarise docs/scaling/scaling.json other/scaling.json   # merge runs
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "custseg"


def run_with_rss(argv: list[str], cwd: Path) -> tuple[float, float, str, str | None]:
    """Runs argv in cwd; returns (wall seconds, peak RSS in MiB of that child, stdout, the
    error line when it failed)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        # Popen does not reap the child until asked, so wait4 gets its resource usage
        process = subprocess.Popen(argv, cwd=cwd, stdout=out_file, stderr=err_file)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out_file.seek(0)
        err_file.seek(0)
        error = None
        if process.returncode != 0:
            lines = [line for line in err_file.read().splitlines() if line.startswith("error")]
            error = lines[-1] if lines else f"exit code {process.returncode}"
        return wall, usage.ru_maxrss / 1024, out_file.read(), error


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def vm_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_hwm(pid: int) -> None:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


class Cluster:
    """A scheduler and two executors, started from the custseg binary, stopped on exit."""

    def __init__(self, custseg: Path, work: Path):
        self.processes: list[subprocess.Popen] = []
        port = free_port()
        self.url = f"df://127.0.0.1:{port}"
        logs = work / "cluster-logs"
        logs.mkdir(parents=True, exist_ok=True)
        self._start([custseg, "-q", "cluster", "scheduler", "--bind", f"127.0.0.1:{port}"], logs / "scheduler.log")
        wait_for(port)
        self.executors = []
        self.work_dirs: list[Path] = []
        for n in range(2):
            data, grpc = free_port(), free_port()
            executor_work = work / f"executor-{n}"
            shutil.rmtree(executor_work, ignore_errors=True)
            executor_work.mkdir(parents=True)
            self.work_dirs.append(executor_work)
            process = self._start([
                custseg, "-q", "cluster", "executor", "--scheduler", f"127.0.0.1:{port}",
                "--bind", f"127.0.0.1:{data}", "--grpc-port", str(grpc), "--concurrency", "1",
                "--work-dir", str(executor_work),
            ], logs / f"executor-{n}.log")
            wait_for(data)
            self.executors.append(process)
        time.sleep(3)  # executors register with their first heartbeat

    def _start(self, argv, log: Path) -> subprocess.Popen:
        process = subprocess.Popen([str(a) for a in argv], stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        self.processes.append(process)
        return process

    def work_bytes(self) -> int:
        """Bytes in the executors' work directories (shuffle files of jobs not yet removed)."""
        total = 0
        for directory in self.work_dirs:
            for root, _, files in os.walk(directory):
                for name in files:
                    try:
                        total += os.stat(os.path.join(root, name)).st_blocks * 512
                    except OSError:
                        pass  # removed while walking
        return total

    def reset_memory(self) -> None:
        for process in self.executors:
            reset_hwm(process.pid)

    def executor_peaks(self) -> list[float | None]:
        return [vm_hwm_mib(process.pid) for process in self.executors]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


class DiskWatch:
    """Samples the executors' work directories every second while a run goes on."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.done.wait(1.0):
            self.peak = max(self.peak, self.cluster.work_bytes())

    def stop(self) -> tuple[float, float]:
        """Peak MiB during the run, and MiB left 5 s after it (jobs whose files were not removed)."""
        self.done.set()
        self.thread.join()
        time.sleep(5)
        left = self.cluster.work_bytes()
        return max(self.peak, left) / 2**20, left / 2**20


# What the pipeline's runner prints when a stage ends:
# `stage      clean     done in 1.234s, peak RSS 512 MiB, wrote 3 files`.
STAGE_LINE = re.compile(r"^stage\s+(ingest|clean|features)\s+done in ([\d.]+)s(?: after \d+ attempts)?(?:, peak RSS (\d+) MiB)?")


def stages(stdout: str, rows: int) -> dict[str, dict]:
    """Each data stage's time and peak memory; `rows` (read by every stage) over its time."""
    found = {}
    for line in stdout.splitlines():
        match = STAGE_LINE.match(line)
        if match:
            name, seconds, rss = match.groups()
            found[name] = {
                "seconds": float(seconds),
                "rows_per_second": int(rows / float(seconds)) if float(seconds) > 0 else None,
                "peak_rss_mib": int(rss) if rss else None,
            }
    return found


def demo_log(custseg: Path, work: Path, rows: int, partitions: int) -> Path:
    directory = work / f"demo-{rows}-rows-{partitions}-parts"
    if not directory.exists():
        print(f"generating {rows:,} rows in {partitions} files ...", file=sys.stderr)
        subprocess.run([
            str(custseg), "-q", "demo-data", "--rows", str(rows), "--customers", str(max(rows // 50, 50)),
            "--seed", "7", "--partitions", str(partitions), "--out", str(directory),
        ], check=True)
    return directory


def svg_chart(results: list[dict]) -> str:
    """A log-log chart of wall time against rows, one line per engine, with a linear guide."""
    import math
    width, height, margin = 680, 420, 70
    xs = [r["rows"] for r in results]
    ys = [r["wall_s"] for r in results]
    x_lo, x_hi = math.log10(min(xs)) - 0.2, math.log10(max(xs)) + 0.2
    y_lo, y_hi = math.floor(math.log10(min(ys)) - 0.1), math.ceil(math.log10(max(ys)) + 0.1)

    def px(rows: float) -> float:
        return margin + (math.log10(rows) - x_lo) / (x_hi - x_lo) * (width - 2 * margin)

    def py(seconds: float) -> float:
        return height - margin - (math.log10(seconds) - y_lo) / (y_hi - y_lo) * (height - 2 * margin)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="DejaVu Sans, sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for exponent in range(int(y_lo), int(y_hi) + 1):
        y = py(10 ** exponent)
        parts.append(f'<line x1="{margin}" x2="{width - margin}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{margin - 8}" y="{y + 4:.1f}" text-anchor="end">{10 ** exponent:g} s</text>')
    for rows in sorted(set(xs)):
        x = px(rows)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{margin}" y2="{height - margin}" stroke="#eee"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - margin + 18}" text-anchor="middle">{rows / 1e6:g}M rows</text>')
    smallest = min(results, key=lambda r: (r["rows"], r["engine"] != "local"))
    guide = [(rows, smallest["wall_s"] * rows / smallest["rows"]) for rows in (min(xs), max(xs))]
    parts.append(f'<line x1="{px(guide[0][0]):.1f}" y1="{py(guide[0][1]):.1f}" x2="{px(guide[1][0]):.1f}" '
                 f'y2="{py(guide[1][1]):.1f}" stroke="#999" stroke-dasharray="4 4"/>')
    colours = {"local": "#1f77b4", "cluster": "#d62728"}
    for engine, colour in colours.items():
        points = sorted((r["rows"], r["wall_s"]) for r in results if r["engine"] == engine)
        if not points:
            continue
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in points:
            parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{colour}"><title>{engine} {x:,} rows: {y:.2f} s</title></circle>')
    legend_y = margin - 30
    parts.append(f'<text x="{margin}" y="{legend_y - 12}" font-size="14">custseg features: wall time against rows (log-log)</text>')
    for n, (engine, colour) in enumerate(colours.items()):
        x = margin + n * 190
        parts.append(f'<line x1="{x}" x2="{x + 24}" y1="{legend_y + 6}" y2="{legend_y + 6}" stroke="{colour}" stroke-width="2"/>')
        label = "local, --memory-limit" if engine == "local" else "loopback cluster, 2 executors"
        parts.append(f'<text x="{x + 30}" y="{legend_y + 10}">{label}</text>')
    parts.append(f'<line x1="{margin + 420}" x2="{margin + 444}" y1="{legend_y + 6}" y2="{legend_y + 6}" stroke="#999" stroke-dasharray="4 4"/>')
    parts.append(f'<text x="{margin + 450}" y="{legend_y + 10}">linear in rows</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000, 100_000_000])
    parser.add_argument("--partitions", type=int, default=0, help="files per log (default: 1 per 3M rows, 2 to 32)")
    parser.add_argument("--memory-limit", default="4GiB")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cluster-max-rows", type=int, default=100_000_000,
                        help="largest log also run on the cluster (0: no cluster runs)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "custseg-scaling")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "scaling")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--engines", nargs="+", default=["local", "cluster"], choices=["local", "cluster"])
    parser.add_argument("--summarise", type=Path, nargs="+", help="only rewrite the summary from scaling.json files")
    args = parser.parse_args()
    if args.summarise:
        results = [result for path in args.summarise for result in json.loads(path.read_text())]
        for result in results:
            peaks = [s["peak_rss_mib"] for s in result["stages"].values() if s["peak_rss_mib"]]
            result["client_peak_rss_mib"] = max([result["client_peak_rss_mib"]] + peaks)
        summarise(results, args)
        return

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--bin", "custseg"], cwd=ROOT, check=True)
    custseg = binary()
    args.work.mkdir(parents=True, exist_ok=True)
    cluster = None
    if "cluster" in args.engines and args.cluster_max_rows and any(rows <= args.cluster_max_rows for rows in args.rows):
        cluster = Cluster(custseg, args.work)
    results = []
    try:
        for rows in args.rows:
            partitions = args.partitions or min(32, max(2, rows // 3_000_000))
            log = demo_log(custseg, args.work, rows, partitions)
            engines = [engine for engine in args.engines
                       if engine == "local" or (cluster and rows <= args.cluster_max_rows)]
            for engine in engines:
                for run in range(args.runs):
                    out = args.work / f"out-{engine}"
                    shutil.rmtree(out, ignore_errors=True)
                    argv = [str(custseg), "-q", "features", "--input", str(log), "--out", str(out), "--no-cache"]
                    if engine == "local":
                        argv += ["--memory-limit", args.memory_limit]
                    else:
                        argv += ["--engine", cluster.url]
                        cluster.reset_memory()
                    disk = DiskWatch(cluster) if engine == "cluster" else None
                    # `features` is a run of the pipeline's DAG, which would skip the stages of
                    # an output that is up to date: every run starts from no output.
                    shutil.rmtree(out, ignore_errors=True)
                    wall, rss, stdout, error = run_with_rss(argv, args.work)
                    found = stages(stdout, rows)
                    # the process's peak is wait4's, or a stage's when that is higher (a build
                    # that resets the kernel's peak between stages would lower wait4's figure)
                    rss = max([rss] + [s["peak_rss_mib"] for s in found.values() if s["peak_rss_mib"]])
                    executors = cluster.executor_peaks() if engine == "cluster" else []
                    result = {
                        "rows": rows, "engine": engine, "run": run, "partitions": partitions,
                        "wall_s": wall, "rows_per_second": rows / wall, "client_peak_rss_mib": rss,
                        "executor_peak_rss_mib": executors, "stages": found, "error": error,
                    }
                    if disk:
                        result["executor_disk_peak_mib"], result["executor_disk_left_mib"] = disk.stop()
                    if error is None:
                        quality = json.loads((out / "reports" / "quality.json").read_text())
                        if quality["raw_rows"] != rows:
                            sys.exit(f"{engine} run read {quality['raw_rows']} rows, expected {rows}")
                        result["clean_rows"] = quality["clean_rows"]
                    print(json.dumps(result), file=sys.stderr)
                    results.append(result)
    finally:
        if cluster:
            cluster.stop()

    summarise(results, args)


def summarise(results: list[dict], args) -> None:
    """Writes scaling.md, scaling.json and scaling.svg from the runs' results, and prints the table."""
    best = {}
    for result in sorted(results, key=lambda r: r["error"] is None):
        key = (result["rows"], result["engine"])
        if key not in best or best[key]["error"] or result["wall_s"] < best[key]["wall_s"]:
            best[key] = result
    ordered = [best[key] for key in sorted(best)]
    lines = [
        f"`custseg features` on partitioned demo logs (`--no-cache`: every run parses; local runs with "
        f"`--memory-limit {args.memory_limit}`; best of {args.runs}):",
        "",
        "| rows | engine | files | wall (s) | rows/s | client peak RSS (MiB) | executor peak RSS (MiB) | executor disk peak / left (MiB) | ingest / clean / features (s) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for r in ordered:
        stage_times = " / ".join(f"{r['stages'][s]['seconds']:.1f}" if s in r["stages"] else "-" for s in ("ingest", "clean", "features"))
        executors = ", ".join(f"{m:.0f}" for m in r["executor_peak_rss_mib"] if m is not None) or ""
        disk = (f"{r['executor_disk_peak_mib']:,.0f} / {r['executor_disk_left_mib']:,.0f}"
                if "executor_disk_peak_mib" in r else "")
        if r["error"]:
            lines.append(f"| {r['rows']:,} | {r['engine']} | {r['partitions']} | failed after {r['wall_s']:.0f} s | | "
                         f"{r['client_peak_rss_mib']:.0f} | {executors} | {disk} | …{r['error'][-150:]} |")
            continue
        lines.append(f"| {r['rows']:,} | {r['engine']} | {r['partitions']} | {r['wall_s']:.2f} | {r['rows_per_second']:,.0f} | "
                     f"{r['client_peak_rss_mib']:.0f} | {executors} | {disk} | {stage_times} |")
    ok = [r for r in ordered if not r["error"]]
    local = {r["rows"]: r for r in ok if r["engine"] == "local"}
    clustered = {r["rows"]: r for r in ok if r["engine"] == "cluster"}
    lines.append("")
    sizes = sorted(local)
    for small, large in zip(sizes, sizes[1:]):
        lines.append(f"- local {large:,} / {small:,} rows: time ratio {local[large]['wall_s'] / local[small]['wall_s']:.2f} "
                     f"for {large / small:g}x the rows")
    for rows in sorted(clustered):
        if rows in local:
            lines.append(f"- cluster / local at {rows:,} rows: {clustered[rows]['wall_s'] / local[rows]['wall_s']:.2f}x")
    table = "\n".join(lines) + "\n"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "scaling.md").write_text(table)
    (args.out_dir / "scaling.json").write_text(json.dumps(results, indent=2) + "\n")
    if ok:
        (args.out_dir / "scaling.svg").write_text(svg_chart(ok))
    print(table)


if __name__ == "__main__":
    main()
