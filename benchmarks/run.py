"""nhsim's benchmark suite: every figure of docs/performance.md from one run.

    .venv/bin/python benchmarks/run.py [--quick] [--out benchmarks/out/results.json]

(or ``make bench``). Measured side by side, in one process where timings are
compared:

1. **M/M/c engine speed** — the same workload (10 servers, utilisation 0.8, 200,000
   customers, FCFS) through nhsim's engine, idiomatic SimPy, Ciw and a minimal heapq
   event loop (:mod:`mmc_reference`), run round robin (the order rotates each round)
   so that drift in the machine's speed hits every engine alike. Reported: customers
   a second (median over rounds) and the median of the per-round speed ratios to
   nhsim. Then an untimed pass collects every customer's wait and checks each
   engine's mean wait against Erlang C with a 99% batch-means interval.
2. **Scenarios** — one replication-year of each shipped configuration, round robin
   in this process: wall time and patients a second (``tally.patients / seconds``),
   and cost per patient relative to ``neighbourhood_50k``. Peak RSS comes from a fresh
   subprocess per scenario (its own ``wait4`` resource usage), so peaks do not mix.
   ``nhsim run ... --event-log`` is measured in subprocesses with and without the log.
3. **Replications in parallel** — in a fresh process, 16 replications of
   ``neighbourhood_50k`` with 1 and 2 local workers and with the Dask backend on a
   2-worker ``LocalCluster``; these wall times include starting (and closing) the pool
   or cluster. Also timed: Dask on a cluster started just before (untimed), and how
   much more work two CPU-bound processes get through than one on this machine.
4. **Start-up** — ``nhsim run configs/teaching.toml --replications 1 ...`` as a
   subprocess, median of 5 wall times.

Everything goes to a JSON file (with machine information and the exact command) and
a short Markdown summary is printed. Needs only what ``pip install -e '.[dev,dask]'``
installs.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

SCENARIOS = ["teaching", "neighbourhood_50k", "place_250k", "system_1m"]
REFERENCE = "neighbourhood_50k"
MB = 1e6

TARGETS = {
    "mmc_vs_simpy": 4.0,  # nhsim at least 4x faster than idiomatic SimPy
    "mmc_vs_ciw": 8.0,  # ... at least 8x faster than Ciw
    "mmc_heapq_over_nhsim": 3.0,  # no more than 3x slower than the heapq loop
    "system_1m_patients_per_s": 100_000.0,
    "cost_per_patient_spread": 0.25,  # 50k -> 1M cost per patient within 25%
    "system_1m_rss_mb": 250.0,
    "event_log_extra_rss_mb": 10.0,  # the log may add its write buffer, not rows
    "two_workers_speedup": 1.8,
    "dask_over_local": 1.15,
    "startup_s": 1.5,
}


# ---------------------------------------------------------------------------- helpers
def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else math.nan


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


def _cpu_jiffies() -> list[int]:
    try:
        return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return []


def _machine_cpu(before: list[int], after: list[int]) -> dict[str, float]:
    """Share of the machine's CPU time (all CPUs) that was busy, and stolen by the host."""
    if not before or not after:
        return {}
    d = [b - a for a, b in zip(before, after)]
    total = sum(d[:8]) or 1
    idle = d[3] + d[4]
    return {
        "busy_fraction": round(1 - idle / total, 3),
        "steal_fraction": round(d[7] / total, 3) if len(d) > 7 else 0.0,
    }


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = math.nan
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) * 1024 / 1e9, 1)
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    return {
        "cpu_model": cpu,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "versions": {
            d: version(d)
            for d in ("nhsim", "simpy", "numpy", "scipy", "pydantic", "ciw", "dask", "distributed")
        },
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_sim_modified": bool(git("status", "--porcelain", "--", "sim")),
        "engine_sha256": _engine_digest(),
    }


# A small launcher forks and execs the command, then reports the command's own resource
# usage. Measuring a child of this (large) process directly would not do: on Linux a
# process's peak RSS survives exec, so a child spawned from here would report this
# process's peak instead of its own. Forked from the launcher, it starts at ~10 MB.
_LAUNCHER = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.chdir(sys.argv[2])
        os.execv(sys.argv[3], sys.argv[3:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as fh:
    json.dump({"wall_s": wall, "maxrss_kib": ru.ru_maxrss, "cpu_s": ru.ru_utime + ru.ru_stime, "exit": code}, fh)
sys.exit(code)
"""


def _engine_digest() -> str:
    """A digest of the code measured (sim/engine/*.py, streams included): which engine ran."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((ROOT / "sim" / "engine").glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def measured_subprocess(cmd: list[str], cwd: Path = ROOT) -> dict[str, Any]:
    """Run ``cmd`` (``cmd[0]`` a full path) in a fresh process; return its wall time (fork to
    exit), peak RSS and CPU time, from its own resource usage, and its standard output."""
    with tempfile.TemporaryDirectory(prefix="nhsim-bench-") as tmp:
        usage_file = Path(tmp) / "usage.json"
        proc = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(usage_file), str(cwd), *cmd],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or not usage_file.exists():
            raise RuntimeError(
                f"{shlex.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}"
            )
        usage = json.loads(usage_file.read_text())
    return {
        "wall_s": usage["wall_s"],
        "peak_rss_mb": usage["maxrss_kib"] * 1024 / MB,  # ru_maxrss is in KiB on Linux
        "cpu_s": usage["cpu_s"],
        "stdout": proc.stdout,
    }


def nhsim_command() -> list[str]:
    exe = Path(sys.executable).with_name("nhsim")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "sim"]


def config(name: str) -> Path:
    return ROOT / "configs" / f"{name}.toml"


def replication_seed(scenario: Any) -> int:
    """The seed ``nhsim run <config> -n 1`` gives its one replication."""
    from sim.engine.streams import replication_seeds

    return replication_seeds(scenario.run.seed, 1)[0]


# ---------------------------------------------------------------------------- 1. M/M/c
def bench_mmc(customers: int, rounds: int, seed: int = 1, batches: int = 30) -> dict[str, Any]:
    from mmc_reference import ENGINES, LAM, MU, C, nhsim_engine, nhsim_scenario, theory_mean_wait

    from sim.runs.stats import t_interval

    names = list(ENGINES)
    scenario = nhsim_scenario(customers)

    def call(name: str, n: int, waits: list[float] | None = None) -> Any:
        if name == "nhsim":
            return nhsim_engine(n, seed, waits, scenario=scenario if n == customers else None)
        return ENGINES[name](n, seed, waits)

    for name in names:  # warm-up: imports, caches
        call(name, min(5000, customers))
    load_before = _load()
    runs: dict[str, list[Any]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            gc.collect()
            c0 = time.process_time()
            res = call(name, customers)
            cpu[name].append(time.process_time() - c0)
            runs[name].append(res)
        _log(
            f"  M/M/c round {r + 1}/{rounds}: "
            + ", ".join(f"{n} {runs[n][-1].served / runs[n][-1].seconds:,.0f}/s" for n in names)
        )
    load_after = _load()

    rate = {n: [x.served / x.seconds for x in runs[n]] for n in names}
    engines: dict[str, Any] = {}
    for name in names:
        ratios = [rate["nhsim"][i] / rate[name][i] for i in range(rounds)]
        cpu_ratios = [
            (cpu[name][i] / runs[name][i].served) / (cpu["nhsim"][i] / runs["nhsim"][i].served)
            for i in range(rounds)
        ]
        engines[name] = {
            "seconds": [x.seconds for x in runs[name]],
            "cpu_seconds": [round(c, 4) for c in cpu[name]],
            "customers_served": runs[name][0].served,
            "customers_per_s": rate[name],
            "customers_per_s_median": _median(rate[name]),
            "us_per_customer_median": 1e6 / _median(rate[name]),
            "nhsim_speed_ratio_per_round": ratios,
            "nhsim_speed_ratio_median": _median(ratios),
            "nhsim_speed_ratio_cpu_time_median": _median(cpu_ratios),
            "cpu_over_wall_median": _median([c / x.seconds for c, x in zip(cpu[name], runs[name])]),
            "mean_wait_hours": runs[name][0].mean_wait,
        }

    # untimed: every wait, for batch means
    theory = theory_mean_wait(LAM, MU, C)
    for name in names:
        waits: list[float] = []
        res = call(name, customers, waits)
        k = batches
        m = len(waits) // k
        means = [statistics.fmean(waits[i * m : (i + 1) * m]) for i in range(k)]
        iv = t_interval(means, 0.99)
        mean = statistics.fmean(waits)
        engines[name]["validation"] = {
            "waits": len(waits),
            "mean_wait_hours": mean,
            "batches": k,
            "batch_size": m,
            "ci99_low": iv.ci_low,
            "ci99_high": iv.ci_high,
            "theory_hours": theory,
            "relative_error": mean / theory - 1.0,
            "within_ci99": bool(iv.ci_low <= theory <= iv.ci_high),
            "timed_run_mean_wait_hours": res.mean_wait,
        }
    return {
        "workload": {
            "lambda_per_hour": LAM,
            "mu_per_hour": MU,
            "servers": C,
            "utilisation": LAM / (C * MU),
            "customers": customers,
            "seed": seed,
            "discipline": "FCFS",
        },
        "rounds": rounds,
        "theory_mean_wait_hours": theory,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "engines": engines,
    }


# ---------------------------------------------------------------------------- 2. scenarios
def child_replication(name: str) -> None:
    """``--child NAME``: one replication in this fresh process; prints JSON."""
    t0 = time.perf_counter()
    from sim.engine import run_replication
    from sim.scenario import load_scenario

    scenario = load_scenario(config(name))
    t1 = time.perf_counter()
    tally = run_replication(scenario, replication_seed(scenario))
    t2 = time.perf_counter()
    print(
        json.dumps({"patients": tally.patients, "import_load_s": t1 - t0, "replication_s": t2 - t1})
    )


def bench_scenarios(rounds: int) -> dict[str, Any]:
    from sim.engine import run_replication
    from sim.scenario import load_scenario

    loaded = {n: load_scenario(config(n)) for n in SCENARIOS}
    seeds = {n: replication_seed(s) for n, s in loaded.items()}
    run_replication(loaded["teaching"], seeds["teaching"])  # warm-up
    load_before = _load()
    secs: dict[str, list[float]] = {n: [] for n in SCENARIOS}
    cpu: dict[str, list[float]] = {n: [] for n in SCENARIOS}
    patients: dict[str, int] = {}
    for r in range(rounds):
        order = SCENARIOS[r % len(SCENARIOS) :] + SCENARIOS[: r % len(SCENARIOS)]
        for name in order:
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            tally = run_replication(loaded[name], seeds[name])
            secs[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            patients[name] = tally.patients
        _log(
            f"  scenarios round {r + 1}/{rounds}: "
            + ", ".join(f"{n} {secs[n][-1]:.2f} s" for n in SCENARIOS)
        )
    load_after = _load()

    out: dict[str, Any] = {}
    for name in SCENARIOS:
        cost = [secs[name][i] / patients[name] for i in range(rounds)]
        ref = [secs[REFERENCE][i] / patients[REFERENCE] for i in range(rounds)]
        rel = [c / f for c, f in zip(cost, ref)]
        out[name] = {
            "seed": seeds[name],
            "days": loaded[name].run.days,
            "warmup_days": loaded[name].run.warmup_days,
            "patients": patients[name],
            "seconds": secs[name],
            "cpu_seconds": [round(c, 4) for c in cpu[name]],
            "seconds_median": _median(secs[name]),
            "patients_per_s_median": _median([patients[name] / s for s in secs[name]]),
            "us_per_patient_median": 1e6 * _median(cost),
            "cost_per_patient_vs_reference_per_round": rel,
            "cost_per_patient_vs_reference_median": _median(rel),
            "cpu_over_wall_median": _median([c / w for c, w in zip(cpu[name], secs[name])]),
        }

    # peak memory: one fresh subprocess per scenario
    for name in SCENARIOS:
        res = measured_subprocess([sys.executable, str(Path(__file__).resolve()), "--child", name])
        child = json.loads(res["stdout"].strip().splitlines()[-1])
        out[name]["subprocess"] = {
            "peak_rss_mb": res["peak_rss_mb"],
            "wall_s": res["wall_s"],
            "cpu_s": res["cpu_s"],
            "replication_s": child["replication_s"],
            "import_load_s": child["import_load_s"],
            "patients": child["patients"],
        }
        _log(f"  {name}: peak RSS {res['peak_rss_mb']:.0f} MB (fresh subprocess)")
    return {
        "rounds": rounds,
        "reference": REFERENCE,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "scenarios": out,
    }


def bench_event_log() -> dict[str, Any]:
    """``nhsim run <config> -n 1 [--event-log]``: peak RSS with and without the log."""
    out: dict[str, Any] = {}
    for name in (REFERENCE, "system_1m"):
        out[name] = {}
        for log in (False, True):
            with tempfile.TemporaryDirectory(prefix="nhsim-bench-") as tmp:
                dest = Path(tmp) / "out"
                cmd = [
                    *nhsim_command(),
                    "run",
                    str(config(name)),
                    "-n",
                    "1",
                    *(["--event-log"] if log else []),
                    "--out",
                    str(dest),
                    "-q",
                    "--no-plots",
                ]
                res = measured_subprocess(cmd)
                entry = {
                    "command": shlex.join(cmd).replace(tmp, "<tmp>").replace(str(ROOT) + "/", ""),
                    "peak_rss_mb": res["peak_rss_mb"],
                    "wall_s": res["wall_s"],
                }
                if log:
                    files = sorted((dest / "events").glob("*.csv"))
                    entry["log_bytes"] = sum(f.stat().st_size for f in files)
                    with open(files[0], "rb") as fh:
                        entry["log_rows"] = sum(1 for _ in fh) - 1
            out[name]["with_log" if log else "without_log"] = entry
        extra = out[name]["with_log"]["peak_rss_mb"] - out[name]["without_log"]["peak_rss_mb"]
        out[name]["extra_rss_mb"] = extra
        _log(
            f"  {name}: nhsim run peak RSS {out[name]['without_log']['peak_rss_mb']:.0f} MB, "
            f"with --event-log {out[name]['with_log']['peak_rss_mb']:.0f} MB "
            f"({out[name]['with_log']['log_rows']:,} rows, {out[name]['with_log']['log_bytes'] / MB:.0f} MB of log)"
        )
    return out


# ---------------------------------------------------------------------------- 3. parallel
def bench_parallel(replications: int, rounds: int) -> dict[str, Any]:
    import logging

    from sim.runs.backends import Backend
    from sim.runs.replications import run
    from sim.scenario import load_scenario

    for logger in (
        "distributed",
        "distributed.nanny",
        "distributed.scheduler",
        "distributed.worker",
    ):
        logging.getLogger(logger).setLevel(logging.ERROR)
    scenario = load_scenario(config(REFERENCE))
    seed = scenario.run.seed
    configs = {
        "local_1": Backend("local", 1),
        "local_2": Backend("local", 2),
        "dask_2": Backend("dask", 2),
        "dask_2_running": None,  # a LocalCluster started (untimed) just before, closed just after
    }
    import importlib

    from dask.distributed import Client, LocalCluster

    reference_values: str | None = None
    secs: dict[str, list[float]] = {k: [] for k in configs}
    load_before = _load()
    for r in range(rounds):
        order = list(configs)[r % len(configs) :] + list(configs)[: r % len(configs)]
        for key in order:
            cluster = None
            backend = configs[key]
            if backend is None:
                # no cluster left running in the background of the other measurements
                cluster = LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
                )
                with Client(
                    cluster
                ) as client:  # workers that have imported nhsim, as a standing cluster has
                    client.run(importlib.import_module, "sim.runs.replications")
                backend = Backend("dask", 2, scheduler=cluster.scheduler_address)
            gc.collect()
            t0 = time.perf_counter()
            res = run(scenario, replications, seed, backend=backend)
            secs[key].append(time.perf_counter() - t0)
            if cluster is not None:
                cluster.close()
            values = json.dumps(res.replications, sort_keys=True)
            if reference_values is None:
                reference_values = values
            elif values != reference_values:
                raise RuntimeError(f"{key}: results differ from the other backends")
        _log(
            f"  parallel round {r + 1}/{rounds}: "
            + ", ".join(f"{k} {secs[k][-1]:.2f} s" for k in configs)
        )
    capacity = machine_parallel_capacity(rounds)
    _log(
        f"  two CPU-bound processes at once get through {capacity['capacity_median']:.2f}x the work of one"
    )
    # Dask's start-up alone: open and close a 2-worker LocalCluster
    startup, shutdown = [], []
    for _ in range(max(1, min(rounds, 3))):
        t0 = time.perf_counter()
        session = Backend("dask", 2).open()
        t1 = time.perf_counter()
        session.close()
        startup.append(t1 - t0)
        shutdown.append(time.perf_counter() - t1)
    load_after = _load()
    speedup = [a / b for a, b in zip(secs["local_1"], secs["local_2"])]
    dask_ratio = [d / b for d, b in zip(secs["dask_2"], secs["local_2"])]
    running_ratio = [d / b for d, b in zip(secs["dask_2_running"], secs["local_2"])]
    return {
        "scenario": REFERENCE,
        "replications": replications,
        "rounds": rounds,
        "seed": seed,
        "note": "local_1 runs in this process; local_2 and dask_2 include starting and closing the pool or "
        "LocalCluster; dask_2_running uses a 2-worker LocalCluster started, with nhsim imported in its "
        "workers, just before the timing (not timed; connecting a client to it is timed) and closed after it",
        "seconds": secs,
        "seconds_median": {k: _median(v) for k, v in secs.items()},
        "speedup_2_workers_per_round": speedup,
        "speedup_2_workers_median": _median(speedup),
        "dask_over_local_2_per_round": dask_ratio,
        "dask_over_local_2_median": _median(dask_ratio),
        "dask_running_over_local_2_per_round": running_ratio,
        "dask_running_over_local_2_median": _median(running_ratio),
        "dask_cluster_start_s_median": _median(startup),
        "machine_parallel_capacity": capacity,
        "dask_cluster_close_s_median": _median(shutdown),
        "results_identical_across_backends": True,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }


def _spin(n: int = 12_000_000) -> float:
    """A pure-Python loop; returns its own wall time."""
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x += i & 7
    return time.perf_counter() - t0


def machine_parallel_capacity(rounds: int) -> dict[str, Any]:
    """How much faster two CPU-bound processes get through work than one, on this machine:
    2 × (time of one loop alone) / (time of each of two loops run at once). 2.0 on two
    idle, independent cores; less when the two CPUs share a core or the host is busy."""
    from concurrent.futures import ProcessPoolExecutor

    alone, both = [], []
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [10_000, 10_000]))  # workers started
        for _ in range(rounds):
            alone.append(pool.submit(_spin).result())
            both.append(statistics.fmean(pool.map(_spin, [12_000_000, 12_000_000])))
    capacity = [2 * a / b for a, b in zip(alone, both)]
    return {
        "alone_s": alone,
        "both_s": both,
        "capacity_per_round": capacity,
        "capacity_median": _median(capacity),
    }


SECTIONS = {"parallel": bench_parallel}


def fresh_process_section(name: str, *numbers: int) -> dict[str, Any]:
    """Run a section in a fresh interpreter, as a user's ``nhsim run`` would: worker
    processes forked from this one would inherit its large heap (every earlier
    benchmark's objects), and copying it page by page would slow them down."""
    spec = ":".join([name, *map(str, numbers)])
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--section", spec],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"section {name} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- 4. start-up
def bench_startup(times: int) -> dict[str, Any]:
    walls, rss = [], []
    command = ""
    for _ in range(times):
        with tempfile.TemporaryDirectory(prefix="nhsim-bench-") as tmp:
            cmd = [
                *nhsim_command(),
                "run",
                str(config("teaching")),
                "--replications",
                "1",
                "--out",
                str(Path(tmp) / "out"),
                "-q",
                "--no-plots",
            ]
            res = measured_subprocess(cmd)
            command = shlex.join(cmd).replace(tmp, "<tmp>").replace(str(ROOT) + "/", "")
        walls.append(res["wall_s"])
        rss.append(res["peak_rss_mb"])
    bare = [measured_subprocess([sys.executable, "-c", "pass"])["wall_s"] for _ in range(times)]
    imports = [
        measured_subprocess(
            [sys.executable, "-c", "import sim.cli.main, sim.runs.replications, sim.scenario"]
        )["wall_s"]
        for _ in range(times)
    ]
    return {
        "command": command,
        "wall_s": walls,
        "wall_s_median": _median(walls),
        "peak_rss_mb_median": _median(rss),
        "python_bare_s_median": _median(bare),
        "python_import_sim_s_median": _median(imports),
    }


# ---------------------------------------------------------------------------- targets and report
def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(key: str, what: str, measured: float, target: float, met: bool, unit: str = "") -> None:
        rows.append(
            {
                "key": key,
                "target": what,
                "measured": measured,
                "threshold": target,
                "unit": unit,
                "met": bool(met),
            }
        )

    if "mmc" in results:
        e = results["mmc"]["engines"]
        v = e["simpy"]["nhsim_speed_ratio_median"]
        add(
            "mmc_vs_simpy",
            "M/M/c: nhsim ≥ 4× faster than idiomatic SimPy",
            v,
            TARGETS["mmc_vs_simpy"],
            v >= TARGETS["mmc_vs_simpy"],
            "×",
        )
        v = e["ciw"]["nhsim_speed_ratio_median"]
        add(
            "mmc_vs_ciw",
            "M/M/c: nhsim ≥ 8× faster than Ciw",
            v,
            TARGETS["mmc_vs_ciw"],
            v >= TARGETS["mmc_vs_ciw"],
            "×",
        )
        ratios = [1.0 / x for x in e["heapq"]["nhsim_speed_ratio_per_round"]]
        v = _median(ratios)
        add(
            "mmc_heapq_over_nhsim",
            "M/M/c: nhsim ≤ 3× slower than the heapq loop",
            v,
            TARGETS["mmc_heapq_over_nhsim"],
            v <= TARGETS["mmc_heapq_over_nhsim"],
            "× slower",
        )
    if "scenarios" in results:
        s = results["scenarios"]["scenarios"]
        v = s["system_1m"]["patients_per_s_median"]
        add(
            "system_1m_patients_per_s",
            "system_1m: ≥ 100,000 patients/s",
            v,
            TARGETS["system_1m_patients_per_s"],
            v >= TARGETS["system_1m_patients_per_s"],
            "patients/s",
        )
        v = s["system_1m"]["cost_per_patient_vs_reference_median"] - 1.0
        add(
            "cost_per_patient_spread",
            "cost per patient 50k → 1M within 25%",
            v,
            TARGETS["cost_per_patient_spread"],
            abs(v) <= TARGETS["cost_per_patient_spread"],
            "relative change",
        )
        v = s["system_1m"]["subprocess"]["peak_rss_mb"]
        add(
            "system_1m_rss_mb",
            "system_1m replication peak RSS ≤ 250 MB",
            v,
            TARGETS["system_1m_rss_mb"],
            v <= TARGETS["system_1m_rss_mb"],
            "MB",
        )
    if "event_log" in results:
        v = results["event_log"]["system_1m"]["extra_rss_mb"]
        add(
            "event_log_extra_rss_mb",
            "system_1m --event-log: RSS does not grow with patients (extra ≤ 10 MB)",
            v,
            TARGETS["event_log_extra_rss_mb"],
            v <= TARGETS["event_log_extra_rss_mb"],
            "MB",
        )
    if "parallel" in results:
        p = results["parallel"]
        v = p["speedup_2_workers_median"]
        add(
            "two_workers_speedup",
            "16 replications: 2 local workers ≥ 1.8× faster than 1",
            v,
            TARGETS["two_workers_speedup"],
            v >= TARGETS["two_workers_speedup"],
            "×",
        )
        v = p["dask_over_local_2_median"]
        add(
            "dask_over_local",
            "Dask LocalCluster (2 workers) within 15% of the local pool",
            v,
            TARGETS["dask_over_local"],
            v <= TARGETS["dask_over_local"],
            "× local time",
        )
    if "startup" in results:
        v = results["startup"]["wall_s_median"]
        add(
            "startup_s",
            "start-up (nhsim run teaching, 1 replication) ≤ 1.5 s",
            v,
            TARGETS["startup_s"],
            v <= TARGETS["startup_s"],
            "s",
        )
    return rows


def _f(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    m = results["machine"]
    lines.append(
        f"Machine: {m['cpu_model']}, {m['usable_cpus']} CPUs, {m['memory_gb']} GB; Python {m['python']}, "
        f"SimPy {m['versions']['simpy']}, NumPy {m['versions']['numpy']}, Ciw {m['versions']['ciw']}, "
        f"Dask {m['versions']['dask']}; {results['date']}"
    )
    lines.append(
        f"Command: `{results['command']}`; load average (1, 5, 15 min) {results.get('loadavg_start')} "
        f"at the start, {results.get('loadavg_end')} at the end"
    )
    busy = {
        k: results[k]["machine_cpu"]
        for k in ("mmc", "scenarios", "parallel")
        if results.get(k, {}).get("machine_cpu")
    }
    if busy:
        lines.append(
            "Share of the machine's CPU busy (stolen by the host) during each part: "
            + ", ".join(
                f"{k} {v['busy_fraction']:.0%} ({v['steal_fraction']:.1%})" for k, v in busy.items()
            )
        )
    if "mmc" in results:
        mm = results["mmc"]
        w = mm["workload"]
        lines += [
            "",
            f"M/M/c ({w['servers']} servers, ρ = {w['utilisation']:.1f}, {w['customers']:,} customers), "
            f"{mm['rounds']} rounds round robin; Erlang C mean wait {mm['theory_mean_wait_hours']:.4f} h",
            "",
            "| engine | customers/s (median) | µs/customer | nhsim speed ÷ engine (median of rounds) "
            "| mean wait (h) | 99% batch-means CI | Erlang C inside? |",
            "|---|---:|---:|---:|---:|---|---|",
        ]
        for name, e in mm["engines"].items():
            v = e["validation"]
            lines.append(
                f"| {name} | {_f(e['customers_per_s_median'])} | {_f(e['us_per_customer_median'])} | "
                f"{_f(e['nhsim_speed_ratio_median'])} | {v['mean_wait_hours']:.4f} | "
                f"{v['ci99_low']:.4f}–{v['ci99_high']:.4f} | "
                f"{'yes' if v['within_ci99'] else 'NO'} ({v['relative_error']:+.1%}) |"
            )
    if "scenarios" in results:
        sc = results["scenarios"]
        lines += [
            "",
            f"One replication-year per scenario ({sc['rounds']} rounds round robin; "
            "peak RSS of a fresh subprocess)",
            "",
            "| scenario | patients | wall s (median) | patients/s | µs/patient | cost/patient vs 50k | peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, s in sc["scenarios"].items():
            lines.append(
                f"| {name} | {s['patients']:,} | {_f(s['seconds_median'])} | {_f(s['patients_per_s_median'])} | "
                f"{_f(s['us_per_patient_median'])} | {_f(s['cost_per_patient_vs_reference_median'])} | "
                f"{_f(s['subprocess']['peak_rss_mb'], 0)} |"
            )
    if "event_log" in results:
        lines += [
            "",
            "| `nhsim run <config> -n 1` | peak RSS MB | with `--event-log` | log rows | log MB |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, e in results["event_log"].items():
            lines.append(
                f"| {name} | {_f(e['without_log']['peak_rss_mb'], 0)} | {_f(e['with_log']['peak_rss_mb'], 0)} | "
                f"{e['with_log']['log_rows']:,} | {_f(e['with_log']['log_bytes'] / MB, 0)} |"
            )
    if "parallel" in results:
        p = results["parallel"]
        lines += [
            "",
            f"{p['replications']} replications of {p['scenario']} ({p['rounds']} rounds round robin; "
            f"times include starting the pool or cluster, except `dask_2_running`; starting a 2-worker "
            f"LocalCluster alone takes {p['dask_cluster_start_s_median']:.2f} s; two CPU-bound processes at "
            f"once get through {p['machine_parallel_capacity']['capacity_median']:.2f}× the work of one on this "
            f"machine)",
            "",
            "| backend | wall s (median) | speed-up vs 1 worker (median of rounds) |",
            "|---|---:|---:|",
        ]
        base = p["seconds"]["local_1"]
        for k, v in p["seconds_median"].items():
            up = _median([a / b for a, b in zip(base, p["seconds"][k])])
            lines.append(f"| {k} | {_f(v)} | {_f(up)} |")
    if "startup" in results:
        s = results["startup"]
        lines += [
            "",
            f"Start-up: `{s['command']}`: median {s['wall_s_median']:.2f} s of {len(s['wall_s'])} "
            f"(bare `python -c pass` {s['python_bare_s_median']:.2f} s, importing nhsim "
            f"{s['python_import_sim_s_median']:.2f} s)",
        ]
    if results.get("targets"):
        lines += ["", "| target | measured | met |", "|---|---:|---|"]
        for t in results["targets"]:
            lines.append(
                f"| {t['target']} | {_f(t['measured'])} {t['unit']} | {'yes' if t['met'] else 'no'} |"
            )
    return "\n".join(lines)


def _command_line() -> str:
    """The command as typed from the repository root (paths under it made relative)."""

    def rel(p: str) -> str:
        try:
            return str(Path(p).absolute().relative_to(ROOT))
        except ValueError:
            return p

    return shlex.join([rel(sys.executable), rel(sys.argv[0]), *sys.argv[1:]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 rounds, 50,000 customers, 1 round elsewhere"
    )
    parser.add_argument(
        "--out", type=Path, default=HERE / "out" / "results.json", help="JSON file to write"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="rounds of the M/M/c and scenario benchmarks (default 7; 2 quick)",
    )
    parser.add_argument(
        "--only",
        default="mmc,scenarios,event_log,parallel,startup",
        help="comma-separated sections to run (default: all)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to SECONDS for the 1-minute load average to fall below 0.5",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="JSON",
        help="only print the tables of an earlier results file",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--section", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_replication(args.child)
        return 0
    if args.report:
        print(markdown(json.loads(args.report.read_text())))
        return 0
    if args.section:
        name, *numbers = args.section.split(":")
        print(json.dumps(SECTIONS[name](*map(int, numbers))))
        return 0

    if args.wait_quiet > 0:
        deadline = time.monotonic() + args.wait_quiet
        while _load() and _load()[0] >= 0.5 and time.monotonic() < deadline:
            time.sleep(10)
    rounds = args.rounds or (2 if args.quick else 7)
    customers = 50_000 if args.quick else 200_000
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    results: dict[str, Any] = {
        "command": _command_line(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine_info(),
        "targets_thresholds": TARGETS,
    }
    results["loadavg_start"] = _load()
    started = time.perf_counter()
    if "mmc" in sections:
        _log("M/M/c: nhsim, idiomatic SimPy, Ciw, heapq loop")
        j0 = _cpu_jiffies()
        results["mmc"] = bench_mmc(customers, rounds)
        results["mmc"]["machine_cpu"] = _machine_cpu(j0, _cpu_jiffies())
    if "scenarios" in sections:
        _log("Scenarios: one replication-year each")
        j0 = _cpu_jiffies()
        results["scenarios"] = bench_scenarios(1 if args.quick else rounds)
        results["scenarios"]["machine_cpu"] = _machine_cpu(j0, _cpu_jiffies())
    if "event_log" in sections:
        _log("Event log: peak RSS with and without --event-log")
        results["event_log"] = bench_event_log()
    if "parallel" in sections:
        _log(
            "Replications in parallel: 1 and 2 local workers, Dask LocalCluster (in a fresh process)"
        )
        j0 = _cpu_jiffies()
        results["parallel"] = fresh_process_section("parallel", 16, 1 if args.quick else 5)
        results["parallel"]["machine_cpu"] = _machine_cpu(j0, _cpu_jiffies())
    if "startup" in sections:
        _log("Start-up")
        results["startup"] = bench_startup(5)
    results["total_seconds"] = time.perf_counter() - started
    results["loadavg_end"] = _load()
    results["targets"] = evaluate(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"\nAll figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
