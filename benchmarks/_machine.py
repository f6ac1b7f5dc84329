"""Machine facts recorded with every benchmark result (shared by the benchmark scripts)."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def machine_facts() -> dict:
    """Date, versions, commit, CPU count/affinity/model, memory and OS of this run."""
    import seqfeed

    cpu_model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except Exception:
        commit = None
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "numpy": np.__version__,
        "python": platform.python_version(),
        "seqfeed": seqfeed.__version__,
        "seqfeed_commit": commit,
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "cpu_model": cpu_model,
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.machine()}",
    }


def results_path(name: str, *, quick: bool, out=None) -> Path:
    """Where a benchmark writes its JSON: ``out`` if given; quick runs go to
    ``benchmarks/results/quick/`` (not committed), full runs to ``benchmarks/results/``."""
    if out is not None:
        return Path(out)
    base = REPO / "benchmarks" / "results"
    return (base / "quick" / name) if quick else (base / name)


def command_line(script: str, argv=None) -> str:
    """The command that reproduces this run (script path relative to the repository)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join(["python", f"benchmarks/{script}"] + args)
