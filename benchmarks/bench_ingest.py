"""Ingest benchmark: a long Parquet table (one row per step) -> one float32 array per id.

Compares, on the same file and in the same run:

* ``seqfeed``: ``seqfeed.sources.read_table(path)`` -> a ``SequenceSet`` (streaming,
  two passes over the row groups, one scatter into a preallocated array);
* ``pandas``: ``pd.read_parquet`` + ``sort_values(["id", "time"])`` + ``groupby("id")``
  for the sizes + ``np.split`` of the float32 feature matrix -> a list of ``(T_i, F)``
  arrays (the fast pandas idiom; ``--pandas-variant loop`` uses
  ``[g.to_numpy() for _, g in df.groupby("id")[features]]`` instead).

The rows are shuffled across ids (and within ids), so grouping and time-sorting are
real work. Every measurement runs in its own subprocess, so the peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss`` read in the child right after the timed work,
absolute, imports included) belongs to one method and one run. Each child first runs
its method on a 20-row file, so library imports and lazy set-up happen before the
clock starts, for both methods. Each child hashes the ids, offsets
and values it produced (after timing); the hashes must agree.

Usage:
    python benchmarks/bench_ingest.py            # 20M rows, 100k ids, 8 features, 3 runs
    python benchmarks/bench_ingest.py --quick    # 2M rows, 10k ids, 2 runs (< 60 s)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "ingest.json"
METHODS = ("seqfeed", "pandas")


# --------------------------------------------------------------------------- data
def write_data(path: str, *, rows: int, ids: int, features: int, row_group: int, seed: int) -> dict:
    """A long table: id int64, time int64 (seconds, per-id start + 60 * step), F float32.

    Lengths are multinomial (mean rows/ids); rows are in a random order.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    lengths = rng.multinomial(rows, np.full(ids, 1.0 / ids))
    starts = np.zeros(ids + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    t0 = rng.integers(1_600_000_000, 1_700_000_000, ids)
    perm = rng.permutation(rows)
    schema = pa.schema([("id", pa.int64()), ("time", pa.int64())]
                       + [(f"f{j}", pa.float32()) for j in range(features)])
    with pq.ParquetWriter(path, schema) as writer:
        for a in range(0, rows, row_group):
            p = perm[a:a + row_group]
            gid = np.searchsorted(starts, p, side="right") - 1
            step = p - starts[gid]
            cols = [pa.array(gid.astype(np.int64)), pa.array(t0[gid] + 60 * step)]
            block = rng.standard_normal((p.shape[0], features), dtype=np.float32)
            cols += [pa.array(np.ascontiguousarray(block[:, j])) for j in range(features)]
            writer.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=row_group)
    return {"min_length": int(lengths.min()), "max_length": int(lengths.max()),
            "file_mb": round(os.path.getsize(path) / 1e6, 1)}


# --------------------------------------------------------------------------- children
def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS


def _digest(ids, offsets, chunks) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(offsets, dtype=np.int64).tobytes())
    for c in chunks:
        h.update(memoryview(np.ascontiguousarray(c)).cast("B"))
    return h.hexdigest()


def child(method: str, path: str, features: int, variant: str) -> dict:
    feats = [f"f{j}" for j in range(features)]
    warm = os.path.join(os.path.dirname(path), "warm.parquet")  # same schema, a few rows
    if method == "seqfeed":
        from seqfeed.sources import read_table

        read_table(warm, features=feats)  # lazy imports (pyarrow.parquet, its pandas shim) happen here
        t0 = time.perf_counter()
        s = read_table(path, id="id", time="time", features=feats, dtype="float32")
        seconds = time.perf_counter() - t0
        peak = _peak_rss_mb()
        n_seq, n_steps = len(s), s.n_steps
        digest = _digest(s.ids, s.offsets, [s.values])
    else:
        import pandas as pd

        pd.read_parquet(warm).sort_values(["id", "time"]).groupby("id").size()  # lazy imports
        t0 = time.perf_counter()
        df = pd.read_parquet(path)
        df = df.sort_values(["id", "time"], kind="stable")
        if variant == "loop":
            groups = df.groupby("id", sort=True)[feats]
            seqs = [g.to_numpy(dtype=np.float32) for _, g in groups]
            ids = np.asarray(list(groups.groups.keys()), dtype=np.int64)
            lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        else:
            x = df[feats].to_numpy(dtype=np.float32)
            sizes = df.groupby("id", sort=True).size()
            lengths = sizes.to_numpy()
            seqs = np.split(x, np.cumsum(lengths)[:-1])
            ids = sizes.index.to_numpy()
        seconds = time.perf_counter() - t0
        peak = _peak_rss_mb()
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        n_seq, n_steps = len(seqs), int(offsets[-1])
        digest = _digest(ids, offsets, seqs)
    return {"method": method, "seconds": seconds, "peak_rss_mb": peak, "n_sequences": n_seq,
            "n_steps": n_steps, "digest": digest}


def run_child(method: str, path: str, args) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", method, "--path", path,
           "--features", str(args.features), "--pandas-variant", args.pandas_variant]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{method} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2M rows, 10k ids, 2 runs")
    ap.add_argument("--rows", type=int, default=None, help="rows (time steps); default 20M (quick 2M)")
    ap.add_argument("--ids", type=int, default=None, help="sequences; default 100k (quick 10k)")
    ap.add_argument("--features", type=int, default=8)
    ap.add_argument("--row-group", type=int, default=1 << 20, help="Parquet rows per row group")
    ap.add_argument("--repeat", type=int, default=None, help="runs per method; default 3 (quick 2)")
    ap.add_argument("--pandas-variant", choices=("split", "loop"), default="split")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="JSON results file (default: results/ingest.json "
                                                "for a full run, results/quick/ingest.json for --quick)")
    ap.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.path, args.features, args.pandas_variant)))
        return 0
    rows = args.rows or (2_000_000 if args.quick else 20_000_000)
    ids = args.ids or (10_000 if args.quick else 100_000)
    repeat = args.repeat or (2 if args.quick else 3)
    out_path = Path(args.out) if args.out else (RESULTS.parent / "quick" / RESULTS.name if args.quick else RESULTS)

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    tmp = tempfile.mkdtemp(prefix="seqfeed-bench-")
    try:
        path = os.path.join(tmp, "long.parquet")
        t0 = time.perf_counter()
        info = write_data(path, rows=rows, ids=ids, features=args.features, row_group=args.row_group,
                          seed=args.seed)
        write_data(os.path.join(tmp, "warm.parquet"), rows=20, ids=3, features=args.features,
                   row_group=args.row_group, seed=args.seed + 1)
        print(f"data: {rows:,} rows, {ids:,} ids (lengths {info['min_length']}-{info['max_length']}), "
              f"{args.features} float32 features, rows shuffled; Parquet {info['file_mb']} MB in row "
              f"groups of {args.row_group:,} ({time.perf_counter() - t0:.1f} s to write)")
        runs = {m: [] for m in METHODS}
        for r in range(repeat):
            for m in (METHODS if r % 2 == 0 else METHODS[::-1]):
                res = run_child(m, path, args)
                runs[m].append(res)
                print(f"  run {r + 1}/{repeat} {m:8s} {res['seconds']:7.2f} s  "
                      f"peak RSS {res['peak_rss_mb']:7.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    digests = {res["digest"] for m in METHODS for res in runs[m]}
    identical = len(digests) == 1
    summary = {}
    for m in METHODS:
        secs = [res["seconds"] for res in runs[m]]
        rss = [res["peak_rss_mb"] for res in runs[m]]
        med = statistics.median(secs)
        summary[m] = {"seconds": [round(s, 3) for s in secs], "median_s": round(med, 3),
                      "rows_per_s": round(rows / med), "peak_rss_mb": [round(x, 1) for x in rss],
                      "peak_rss_mb_median": round(statistics.median(rss), 1)}
    speedup = summary["pandas"]["median_s"] / summary["seqfeed"]["median_s"]
    rss_ratio = summary["seqfeed"]["peak_rss_mb_median"] / summary["pandas"]["peak_rss_mb_median"]
    label = "pandas" if args.pandas_variant == "split" else "pandas (loop)"
    lines = [
        f"{'method':16s} {'median s':>9s} {'rows/s':>12s} {'peak RSS MB':>12s}",
        *(f"{(label if m == 'pandas' else m):16s} {summary[m]['median_s']:9.2f} "
          f"{summary[m]['rows_per_s']:12,d} {summary[m]['peak_rss_mb_median']:12.0f}" for m in METHODS),
        f"time pandas/seqfeed: {speedup:.2f}x (target >= 3x)   "
        f"peak RSS seqfeed/pandas: {rss_ratio:.2f} (target < 0.5)",
        f"identical sequences (ids, offsets, values sha256): {'yes' if identical else 'NO'}",
    ]
    if load_before is not None:
        lines.append(f"1-min load average before/after: {load_before:.2f}/{os.getloadavg()[0]:.2f} "
                     f"on {os.cpu_count()} CPUs (other processes share the machine)")
    print("\n" + "\n".join(lines))
    if out_path is not None:
        import pandas
        import pyarrow

        from _machine import command_line, machine_facts

        record = {
            "benchmark": "ingest",
            "command": command_line("bench_ingest.py", argv),
            "machine": machine_facts(),  # the commit, versions and CPU of this run
            "config": {"rows": rows, "ids": ids, "features": args.features, "row_group": args.row_group,
                       "repeat": repeat, "seed": args.seed, "pandas_variant": args.pandas_variant,
                       "time": "int64, per-id start + 60 * step", "row_order": "shuffled",
                       **info},
            "results": summary,
            "ratios": {"time_pandas_over_seqfeed": round(speedup, 2),
                       "rss_seqfeed_over_pandas": round(rss_ratio, 3)},
            "targets_met": {"time_3x": speedup >= 3.0, "rss_half": rss_ratio < 0.5},
            "identical": identical,
            "table": lines,
            "environment": {"python": platform.python_version(), "numpy": np.__version__,
                            "pyarrow": pyarrow.__version__, "pandas": pandas.__version__,
                            "cpus": os.cpu_count(), "machine": platform.machine(),
                            "load_average_1min_before": load_before,
                            "load_average_1min_after": os.getloadavg()[0] if load_before is not None
                            else None},
        }
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_json = tempfile.mkstemp(dir=out_path.parent, prefix=".ingest.", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(record, f, indent=2)
            f.write("\n")
        os.chmod(tmp_json, 0o644)
        os.replace(tmp_json, out_path)
        shown = out_path.relative_to(Path.cwd()) if out_path.is_relative_to(Path.cwd()) else out_path.name
        print(f"wrote {shown}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
