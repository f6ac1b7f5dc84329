"""Pack benchmark: a long-format Parquet panel larger than memory budgets -> sequence shards.

Generates its own panel (id int64, time int64, 8 float32 features: 48 bytes per row in
memory), streaming, entity by entity block, with every entity's rows spread at random
over ``--files`` Parquet files and shuffled inside each block, so it is never held in
memory. Then, each in its own subprocess (peak RSS = ``ru_maxrss`` of that child from
``os.wait4``, imports included):

* ``seqfeed pack --engine duckdb`` and ``seqfeed pack --engine arrow`` with ``--memory``
  (default 1GiB) on the full panel;
* Spark local mode (``seqfeed.spark``, when importable; otherwise recorded "not run");
* pandas (``read_parquet`` + ``sort_values`` + ``np.unique``), with its address space
  capped (``RLIMIT_AS``, default 6 GiB) so it fails fast instead of exhausting the
  machine: on the full panel it is expected to fail, and the failure is recorded; all
  paths also run on a panel ``--small-fraction`` the size where pandas fits.

Every path that finishes is hashed the same way: ``sha256(sha256(ids as int64) ||
sha256(offsets as int64) || sha256(values as float32, row-major))`` over the sequences
in id order; the hashes must agree.

Usage:
    python benchmarks/bench_pack.py            # ~210M rows (10 GB in memory), 8 files
    python benchmarks/bench_pack.py --quick    # 1.5M rows, < 2 min -> results/quick/

The panel carries a per-entity ``label`` column (packed as the target; ``--label no``
leaves it out). Spark runs under ``--spark-timeout`` (default 2700 s): at the cap its
whole process session (driver, JVM, Python workers) is killed and the run is recorded
as not finished, with the progress of its stages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
RESULTS = HERE / "results" / "pack.json"
QUICK_RESULTS = HERE / "results" / "quick" / "pack.json"
ROW_BYTES = 8 + 8 + 4 * 8


# --------------------------------------------------------------------------- data
def make_panel(path: str, *, rows: int, files: int, features: int, mean_len: int, seed: int,
               label: bool = True, block_rows: int = 4_000_000) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_ent = max(1, rows // mean_len)
    lengths = rng.integers(mean_len // 2, mean_len * 3 // 2 + 1, n_ent)
    lengths[-1] += rows - int(lengths.sum())  # exact row count
    if lengths[-1] < 1:
        lengths = np.maximum(lengths, 1)
    ids_all = (np.arange(n_ent, dtype=np.int64) * 2654435761 + 977) % (1 << 40)  # distinct, scattered
    os.makedirs(path, exist_ok=True)
    names = [f"c{j}" for j in range(features)]
    schema = pa.schema([("id", pa.int64()), ("time", pa.int64())] + [(n, pa.float32()) for n in names]
                       + ([("label", pa.int64())] if label else []))
    writers = [pq.ParquetWriter(os.path.join(path, f"panel-{k:03d}.parquet"), schema,
                                compression="snappy") for k in range(files)]
    t0 = time.perf_counter()
    e0 = 0
    total = 0
    try:
        while e0 < n_ent:
            e1 = e0
            acc = 0
            while e1 < n_ent and (acc < block_rows or e1 == e0):
                acc += int(lengths[e1])
                e1 += 1
            L = lengths[e0:e1]
            n = int(L.sum())
            ids = np.repeat(ids_all[e0:e1], L)
            starts = np.repeat(np.cumsum(L) - L, L)
            step = np.arange(n, dtype=np.int64) - starts
            t = 1_600_000_000 + 60 * step
            perm = rng.permutation(n)
            f = rng.integers(0, files, n)
            f = f[perm]  # file of each (shuffled) row
            x = rng.standard_normal((n, features), dtype=np.float32)
            ids, t = ids[perm], t[perm]
            if label:  # per entity: 1 when the mean of its first feature is positive (no draw of rng)
                ent = np.repeat(np.arange(e1 - e0), L)[perm]
                lab = (np.bincount(ent, weights=x[:, 0], minlength=e1 - e0) > 0).astype(np.int64)[ent]
                del ent
            order = np.argsort(f, kind="stable")
            bounds = np.searchsorted(f[order], np.arange(files + 1))
            for k in range(files):
                sel = order[bounds[k]:bounds[k + 1]]
                if not sel.size:
                    continue
                cols = [pa.array(ids[sel]), pa.array(t[sel])] + \
                       [pa.array(np.ascontiguousarray(x[sel, j])) for j in range(features)] + \
                       ([pa.array(lab[sel])] if label else [])
                writers[k].write_table(pa.Table.from_arrays(cols, schema=schema))
            total += n
            e0 = e1
            del ids, t, x, perm, f, order
            lab = None
    finally:
        for w in writers:
            w.close()
    disk = sum(os.path.getsize(os.path.join(path, p)) for p in os.listdir(path))
    return {"rows": total, "entities": int(n_ent), "files": files, "features": features,
            "label": "per entity, int64: 1 when the mean of c0 over its rows is positive" if label else None,
            "mean_length": mean_len, "bytes_in_memory": total * (16 + 4 * features + (8 if label else 0)),
            "bytes_on_disk": disk, "generate_s": round(time.perf_counter() - t0, 1)}


# --------------------------------------------------------------------------- hashing
def _digest(h_ids, h_off, h_val) -> str:
    return hashlib.sha256(h_ids.digest() + h_off.digest() + h_val.digest()).hexdigest()


def hash_shards(path: str) -> dict:
    """The benchmark hash of a shards directory, one part file at a time."""
    import pyarrow.parquet as pq

    from seqfeed import SequenceSet

    with open(os.path.join(path, "manifest.json")) as fh:
        m = json.load(fh)
    h_ids, h_off, h_val = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
    base = 0
    h_off.update(np.zeros(1, dtype=np.int64).tobytes())
    n = 0
    for f in m["files"]:
        t = pq.read_table(os.path.join(path, f["name"]), memory_map=True)
        s = SequenceSet.from_arrow(t.column("values"))
        h_ids.update(np.ascontiguousarray(t.column("id").to_numpy(), dtype=np.int64).tobytes())
        h_off.update((s.offsets[1:] + base).astype(np.int64).tobytes())
        h_val.update(np.ascontiguousarray(s.values, dtype=np.float32).tobytes())
        base += int(s.offsets[-1])
        n += len(s)
        del t, s
    return {"sha256": _digest(h_ids, h_off, h_val), "sequences": n, "steps": base}


def hash_arrays(ids, offsets, values) -> str:
    h = [hashlib.sha256() for _ in range(3)]
    h[0].update(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
    h[1].update(np.ascontiguousarray(offsets, dtype=np.int64).tobytes())
    h[2].update(np.ascontiguousarray(values, dtype=np.float32).tobytes())
    return _digest(*h)


# --------------------------------------------------------------------------- children
def child_pandas(data: str) -> None:
    import glob

    import pandas as pd

    files = sorted(glob.glob(os.path.join(data, "*.parquet")))
    t0 = time.perf_counter()
    try:
        df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        df = df.sort_values(["id", "time"], kind="stable", ignore_index=True)
        feats = [c for c in df.columns if c not in ("id", "time", "label")]
        values = df[feats].to_numpy(np.float32)
        ids, counts = np.unique(df["id"].to_numpy(), return_counts=True)
        offsets = np.zeros(ids.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
    except MemoryError:
        print(json.dumps({"status": "out of memory"}))
        sys.exit(3)
    wall = time.perf_counter() - t0
    print(json.dumps({"status": "ok", "work_s": round(wall, 2), "sha256": hash_arrays(ids, offsets, values),
                      "sequences": int(ids.shape[0]), "steps": int(offsets[-1])}))


def child_spark(data: str, out: str) -> None:
    try:
        import seqfeed.spark as sps
    except ImportError as e:
        print(json.dumps({"status": f"not run: seqfeed.spark is not importable ({e})"}))
        sys.exit(4)
    import threading

    import seqfeed
    from pyspark.sql import SparkSession

    # The Python workers are started by the JVM, which inherits this environment: they run
    # this interpreter and import the seqfeed this process imported (not an installed copy).
    src = os.path.dirname(os.path.dirname(os.path.abspath(seqfeed.__file__)))
    os.environ["PYTHONPATH"] = os.pathsep.join([src] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                                        if p and os.path.abspath(p) != src])
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    local = out + ".spark-local"  # shuffle and spill files, removed by the parent
    os.makedirs(local, exist_ok=True)
    spark = (SparkSession.builder.master("local[2]").appName("bench_pack")
             .config("spark.driver.memory", "2g").config("spark.sql.shuffle.partitions", "64")
             .config("spark.local.dir", local).config("spark.executorEnv.PYTHONPATH", os.environ["PYTHONPATH"])
             .config("spark.ui.enabled", "false").getOrCreate())
    sc = spark.sparkContext
    here = os.path.abspath(seqfeed.__file__)
    worker = sc.parallelize([0], 1).map(lambda _: __import__("seqfeed").__file__).collect()[0]
    same = os.path.abspath(worker) == here
    if not same:
        print(json.dumps({"status": "failed: the Spark workers import another seqfeed than the driver"}))
        spark.stop()
        sys.exit(5)
    t0 = time.perf_counter()
    stop = threading.Event()

    def progress() -> None:  # what the parent records if the run is stopped at the time cap
        tracker = sc.statusTracker()
        while not stop.wait(15):
            try:
                stages = []
                for jid in sorted(tracker.getJobIdsForGroup()):
                    job = tracker.getJobInfo(jid)
                    for sid in (job.stageIds if job else []):
                        st = tracker.getStageInfo(sid)
                        if st:
                            stages.append({"job": jid, "stage": sid, "tasks": st.numTasks,
                                           "completed": st.numCompletedTasks, "active": st.numActiveTasks,
                                           "failed": st.numFailedTasks})
                rec = {"elapsed_s": round(time.perf_counter() - t0, 1), "stages": stages}
                tmp = out + ".progress.json.tmp"
                with open(tmp, "w") as fh:
                    json.dump(rec, fh)
                os.replace(tmp, out + ".progress.json")
            except Exception:  # progress is best effort; the run itself decides the outcome
                pass

    threading.Thread(target=progress, daemon=True).start()
    df = spark.read.parquet(data)
    feats = [c for c in df.columns if c not in ("id", "time", "label")]
    target = "label" if "label" in df.columns else None
    sps.write_shards(sps.pack(df, id="id", time="time", features=feats, target=target), out)
    wall = time.perf_counter() - t0
    stop.set()
    spark.stop()
    print(json.dumps({"status": "ok", "work_s": round(wall, 2), "workers_import_this_seqfeed": same}))


def child_train(shards: str, batches: int, seconds: float, batch_size: int, buffer: int = 0) -> None:
    """Streamed training from ``shards`` (``SequenceModel.fit`` on the directory: a ShardDataset,
    the scaler from the manifest's moments) until ``batches`` batches or ``seconds`` of fitting."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from seqfeed.keras import SequenceModel

    t0 = time.perf_counter()
    sm = SequenceModel.for_data(shards, "classify", units=16, seed=0)
    build_s = time.perf_counter() - t0

    class Budget(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.n, self.losses, self.t_first = 0, [], None

        def on_train_batch_end(self, batch, logs=None):
            self.n += 1
            if self.t_first is None:
                self.t_first = time.perf_counter()
            if logs and "loss" in logs:
                self.losses.append(float(logs["loss"]))
            if self.n >= batches or time.perf_counter() - t1 >= seconds:
                self.model.stop_training = True

    cb = Budget()
    t1 = time.perf_counter()
    if buffer:  # a ShardDataset with an explicit shuffle window
        import seqfeed

        data = seqfeed.ShardDataset(shards, batch_size=batch_size, shuffle_buffer=buffer, seed=0)
    else:
        data = shards
    sm.fit(data, epochs=1, batch_size=batch_size, seed=0, verbose=0, callbacks=[cb])
    fit_s = time.perf_counter() - t1
    after_first = time.perf_counter() - cb.t_first if cb.t_first else None
    with open(os.path.join(shards, "manifest.json")) as fh:
        m = json.load(fh)
    per_epoch = -(-int(m["n_sequences"]) // batch_size)
    print(json.dumps({"status": "ok", "batches": cb.n, "batch_size": batch_size, "batches_per_epoch_about": per_epoch,
                      "model_build_s": round(build_s, 2), "fit_s": round(fit_s, 2),
                      "seconds_per_batch_after_the_first": round(after_first / (cb.n - 1), 3)
                      if after_first and cb.n > 1 else None,
                      "loss_first": cb.losses[0] if cb.losses else None,
                      "loss_last": cb.losses[-1] if cb.losses else None,
                      "ru_maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def measure_training(args) -> None:
    """Train from the shards ``args.train`` in a child (peak RSS by /usr/bin/time); the record goes
    into the results file under ``training_from_shards`` (the rest of the file is kept)."""
    from _machine import machine_facts

    shards = args.train
    work = os.path.dirname(os.path.abspath(shards))  # recorded as WORKDIR
    with open(os.path.join(shards, "manifest.json")) as fh:
        m = json.load(fh)
    out_path = Path(args.out) if args.out else RESULTS
    results = json.loads(out_path.read_text()) if out_path.exists() else {"benchmark": "pack", "runs": []}
    cap = _bytes(args.train_memory)
    print(f"bench_pack: training from {shards} ({m['n_sequences']:,} sequences, {m['n_steps']:,} steps) for at "
          f"most {args.train_batches} batches of {args.train_batch_size} or {args.train_seconds:g} s", flush=True)
    r = run_child([sys.executable, __file__, "--train-child", shards, str(args.train_batches),
                   str(args.train_seconds), str(args.train_batch_size), str(args.train_buffer or 0)])
    info = _last_json(r["stdout"])
    rec = {"machine": machine_facts(),
           "command": "python benchmarks/bench_pack.py " + _public_args(sys.argv[1:], work, args.out),
           "shards": {"made_by": _public_args([(m.get("created_by") or {}).get("command") or "?"], work, None),
                      "sequences": m["n_sequences"],
                      "steps": m["n_steps"], "features": len(m["features"]), "part_files": len(m["files"]),
                      "bytes": sum(f["bytes"] for f in m["files"]),
                      "values_bytes_in_memory": m["n_steps"] * len(m["features"]) * 4},
           "shuffle_buffer": args.train_buffer or "default (about 256 MiB of values)",
           "what": "SequenceModel.for_data(SHARDS, 'classify', units=16).fit(" + (
               f"ShardDataset(SHARDS, shuffle_buffer={args.train_buffer})" if args.train_buffer else "SHARDS")
                   + ", epochs=1, batch_size="
                   f"{args.train_batch_size}) stopped by a callback after {args.train_batches} batches or "
                   f"{args.train_seconds:g} s of fitting (streamed: ShardDataset, scaler from the manifest)",
           "wall_s": r["wall_s"], "peak_rss_bytes": r["peak_rss_bytes"], "memory_limit_bytes": cap,
           "within_limit": r["peak_rss_bytes"] <= cap}
    if r["rc"] == 0 and info.get("status") == "ok":
        rec.update(info)
    else:
        rec["status"] = f"failed (exit {r['rc']}): {' '.join(r['stderr_tail'])}"
    results["training_from_shards" + (f"_buffer_{args.train_buffer}" if args.train_buffer else "")] = rec
    tmp = out_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    os.replace(tmp, out_path)
    print(f"  {rec.get('status')}: {rec.get('batches')} batches in {rec['wall_s']} s, peak RSS "
          f"{rec['peak_rss_bytes'] / 2**20:.0f} MiB (limit {cap / 2**20:.0f} MiB) -> {out_path}", flush=True)


def _session_members(sid: int) -> list[int]:
    """Process ids whose session is ``sid`` (the Spark JVM and its Python workers included:
    PySpark's worker daemon makes its own process group, but stays in the session)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:  # after the command: state, ppid, pgrp, session
                pids.append(int(name))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def _session_rss(sid: int) -> int:
    total = 0
    for pid in _session_members(sid):
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def _kill_session(sid: int, spare: int | None = None) -> None:
    import signal

    for pid in _session_members(sid):
        if pid != spare:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def run_child(cmd, *, as_limit: int | None = None, timeout: float | None = None) -> dict:
    """Run ``cmd``; wall time, peak RSS (bytes) of that process, return code, stdout, stderr tail.

    The child starts a session of its own. The peak RSS comes from ``/usr/bin/time`` when
    present: its child is forked from a small process, whereas ``ru_maxrss`` of a child
    forked from this (large) process starts at this process's resident size (Linux keeps
    the high-water mark across ``exec``), which would overstate small peaks. The summed RSS
    of every process of the session is also sampled every 2 s (``peak_rss_bytes_session``):
    for Spark that includes the JVM and the Python workers.

    With ``timeout``, every process of the session (grandchildren included) is killed when
    the cap is reached, and ``timed_out`` is set.
    """
    def limit():
        if as_limit:
            resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))

    timer = shutil.which("time") if os.path.exists("/usr/bin/time") else None
    timed_out = False
    with tempfile.TemporaryDirectory() as d:
        rss_file = os.path.join(d, "rss")
        full = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + list(cmd) if timer else list(cmd)
        t0 = time.perf_counter()
        session_peak = 0
        next_sample = 0.0
        with open(os.path.join(d, "out"), "wb") as so, open(os.path.join(d, "err"), "wb") as se:
            p = subprocess.Popen(full, stdout=so, stderr=se, preexec_fn=limit if as_limit else None,
                                 start_new_session=True)
            try:
                while True:
                    pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                    if pid:
                        break
                    now = time.perf_counter() - t0
                    if now >= next_sample:
                        session_peak = max(session_peak, _session_rss(p.pid))
                        next_sample = now + 2.0
                    if timeout is not None and now > timeout and not timed_out:
                        timed_out = True
                        _kill_session(p.pid, spare=p.pid if timer else None)  # the timer then reports
                        kill_at = now + 30
                    if timed_out and now > kill_at:
                        _kill_session(p.pid)
                    time.sleep(0.25)
            except BaseException:
                _kill_session(p.pid)
                raise
            finally:
                _kill_session(p.pid)  # nothing of the session outlives the run (orphans included)
            p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        rc = os.waitstatus_to_exitcode(status)
        rss = int(ru.ru_maxrss) * 1024
        if timer:
            try:
                rss = int(open(rss_file).read().split()[-1]) * 1024
            except (OSError, ValueError, IndexError):
                pass
        out = open(os.path.join(d, "out"), "rb").read().decode(errors="replace")
        err = open(os.path.join(d, "err"), "rb").read().decode(errors="replace")
    if timer:  # /usr/bin/time reports the child's exit status (or signal) as its own
        err = "\n".join(line for line in err.splitlines()
                        if not line.startswith(("Command exited", "Command terminated")))
    return {"rc": rc, "wall_s": round(wall, 2), "peak_rss_bytes": rss, "peak_rss_bytes_session": session_peak,
            "timed_out": timed_out, "stdout": out,
            "stderr_tail": err.strip().splitlines()[-3:] if err.strip() else []}


def _last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return {}


def measure_panel(label: str, data: str, work: str, args) -> list[dict]:
    runs = []
    mem_bytes = _bytes(args.memory)
    for engine in args.engines.split(","):
        out = os.path.join(work, f"shards-{label}-{engine}")
        shutil.rmtree(out, ignore_errors=True)
        target = ["--target", "label"] if args.label == "yes" else []
        cmd = [sys.executable, "-m", "seqfeed.cli", "pack", data, "--out", out, "--engine", engine,
               "--memory", args.memory, "--quiet"] + target
        r = run_child(cmd)
        rec = {"panel": label, "path": f"seqfeed pack --engine {engine}", "wall_s": r["wall_s"],
               "peak_rss_bytes": r["peak_rss_bytes"], "memory_budget_bytes": mem_bytes,
               "status": "ok" if r["rc"] == 0 else f"failed (exit {r['rc']}): {' '.join(r['stderr_tail'])}",
               "command": "seqfeed pack DATA --out SHARDS --engine " + engine + f" --memory {args.memory} --quiet"
                          + (" --target label" if target else "")}
        if r["rc"] == 0:
            h = run_child([sys.executable, __file__, "--hash-shards", out])
            rec.update(_last_json(h["stdout"]))
            rec["within_budget"] = r["peak_rss_bytes"] <= mem_bytes
            with open(os.path.join(out, "manifest.json")) as fh:
                m = json.load(fh)
            rec["part_files"] = len(m["files"])
            rec["chunks"] = m["created_by"].get("chunks")
            rec["shards_bytes"] = sum(f["bytes"] for f in m["files"])
            if not (args.keep or (args.keep_shards and label == "full")):
                shutil.rmtree(out, ignore_errors=True)
        print(_row(rec), flush=True)
        runs.append(rec)
    # Spark
    if not args.run_spark:
        rec = {"panel": label, "path": "spark local[2] (seqfeed.spark)", "wall_s": 0.0,
               "status": "not run (--spark no; the default with --quick, as Spark's start-up alone "
                         "takes most of the quick budget)"}
        print(_row(rec), flush=True)
        runs.append(rec)
        return _pandas(label, data, args, runs)
    out = os.path.join(work, f"shards-{label}-spark")
    _clean_spark(out)
    r = run_child([sys.executable, __file__, "--spark-child", data, out], timeout=args.spark_timeout)
    info = _last_json(r["stdout"])
    rec = {"panel": label, "path": "spark local[2] (seqfeed.spark)", "wall_s": r["wall_s"],
           "peak_rss_bytes_python_driver": r["peak_rss_bytes"],
           "peak_rss_bytes_all_processes_sampled": r["peak_rss_bytes_session"],
           "time_cap_s": args.spark_timeout,
           "note": "peak_rss_bytes_python_driver: the Python driver only (/usr/bin/time); "
                   "peak_rss_bytes_all_processes_sampled: the summed RSS of the driver, the JVM and the Python "
                   "workers, sampled every 2 s"}
    if r["rc"] == 0 and info.get("status") == "ok":
        rec["status"] = "ok"
        rec["work_s"] = info.get("work_s")
        rec["workers_import_this_seqfeed"] = info.get("workers_import_this_seqfeed")
        h = run_child([sys.executable, __file__, "--hash-shards", out])
        rec.update(_last_json(h["stdout"]))
        shutil.rmtree(out, ignore_errors=True)
    elif r["timed_out"]:
        rec["status"] = f"did not finish within {args.spark_timeout:g} s"
        rec["progress_at_cap"] = _spark_progress(out)
    else:
        rec["status"] = info.get("status") or f"failed (exit {r['rc']}): {' '.join(r['stderr_tail'])}"
    _clean_spark(out, keep_output=rec["status"] == "ok")
    print(_row(rec), flush=True)
    runs.append(rec)
    return _pandas(label, data, args, runs)


def _spark_progress(out: str) -> dict:
    """What the Spark child had done when it was stopped: the stages of its jobs (tasks
    completed of total, from Spark's status tracker, written every 15 s) and the part files
    its executors had written."""
    import glob

    prog = {}
    try:
        with open(out + ".progress.json") as fh:
            prog = json.load(fh)
    except (OSError, ValueError):
        pass
    parent, base = os.path.split(os.path.abspath(out))
    parts = glob.glob(os.path.join(parent, f".{base}.spark-*", "*.parquet"))
    prog["part_files_written"] = len(parts)
    prog["part_bytes_written"] = sum(os.path.getsize(f) for f in parts if os.path.exists(f))
    return prog


def _clean_spark(out: str, keep_output: bool = False) -> None:
    """Remove what a (possibly killed) Spark child leaves: its local dir, progress file,
    the unpublished temporary shards directory, and (unless kept) the output."""
    import glob

    parent, base = os.path.split(os.path.abspath(out))
    for p in [out + ".spark-local", *glob.glob(os.path.join(parent, f".{base}.spark-*"))]:
        shutil.rmtree(p, ignore_errors=True)
    for p in (out + ".progress.json", out + ".progress.json.tmp"):
        if os.path.exists(p):
            os.remove(p)
    if not keep_output:
        shutil.rmtree(out, ignore_errors=True)


def _pandas(label, data, args, runs):
    r = run_child([sys.executable, __file__, "--pandas-child", data], as_limit=_bytes(args.pandas_limit))
    info = _last_json(r["stdout"])
    rec = {"panel": label, "path": "pandas read_parquet + sort_values + unique", "wall_s": r["wall_s"],
           "peak_rss_bytes": r["peak_rss_bytes"], "address_space_limit_bytes": _bytes(args.pandas_limit)}
    if r["rc"] == 0 and info.get("status") == "ok":
        rec.update(info)
    else:
        rec["status"] = (f"out of memory under RLIMIT_AS={args.pandas_limit}"
                         if info.get("status") == "out of memory" or "MemoryError" in " ".join(r["stderr_tail"])
                         or "memory" in " ".join(r["stderr_tail"]).lower()
                         else f"failed (exit {r['rc']}): {' '.join(r['stderr_tail'])}")
    print(_row(rec), flush=True)
    runs.append(rec)
    return runs


def _bytes(s: str) -> int:
    from seqfeed.sources._pack import parse_memory

    return parse_memory(s)


def _row(r: dict) -> str:
    rss = r.get("peak_rss_bytes", r.get("peak_rss_bytes_python_driver"))
    rss_s = f"{rss / 2**20:8.0f} MiB" if rss else "       - "
    sha = (r.get("sha256") or "")[:12]
    return f"  {r['panel']:<6} {r['path']:<45} {r['wall_s']:9.1f} s {rss_s}  {sha:<12} {r['status'][:70]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1.5M rows; results to results/quick/")
    ap.add_argument("--rows", type=int, default=None, help="rows of the full panel (default 210M)")
    ap.add_argument("--small-fraction", type=float, default=1 / 16,
                    help="size of the panel on which every path runs, as a fraction of --rows")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--features", type=int, default=8)
    ap.add_argument("--mean-length", type=int, default=2100)
    ap.add_argument("--memory", default="1GiB")
    ap.add_argument("--pandas-limit", default="6GiB", help="address-space cap of the pandas child")
    ap.add_argument("--engines", default="arrow,duckdb")
    ap.add_argument("--spark", choices=["auto", "yes", "no"], default="auto",
                    help="run Spark local mode (auto: yes, except with --quick)")
    ap.add_argument("--spark-timeout", type=float, default=2700, metavar="SECONDS",
                    help="time cap of the Spark run; its JVM and Python workers are killed at the cap and the "
                         "run is recorded as not finished (default 2700)")
    ap.add_argument("--workdir", default=None, help="where the panels and shards go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the generated panels and shards")
    ap.add_argument("--keep-shards", action="store_true",
                    help="keep the shards of the full panel (WORKDIR/shards-full-ENGINE), e.g. for --train")
    ap.add_argument("--label", choices=["yes", "no"], default="yes",
                    help="add a per-entity label column to the panel and pack it as the target (default yes)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train", metavar="SHARDS", default=None,
                    help="only measure streamed training from these shards (e.g. a --keep-shards run's "
                         "WORKDIR/shards-full-arrow) and add the record to the results file")
    ap.add_argument("--train-batches", type=int, default=300, help="batch budget of --train")
    ap.add_argument("--train-seconds", type=float, default=600, help="time budget of --train's fitting")
    ap.add_argument("--train-batch-size", type=int, default=32)
    ap.add_argument("--train-memory", default="2GiB", help="the peak RSS --train must stay within")
    ap.add_argument("--train-buffer", type=int, default=None,
                    help="ShardDataset shuffle window (sequences) of --train (default: its default)")
    ap.add_argument("--train-child", nargs=5, help=argparse.SUPPRESS)
    ap.add_argument("--hash-shards", help=argparse.SUPPRESS)
    ap.add_argument("--pandas-child", help=argparse.SUPPRESS)
    ap.add_argument("--spark-child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help="results file (default results/pack.json, or "
                                                "results/quick/pack.json with --quick)")
    args = ap.parse_args()
    if args.hash_shards:
        print(json.dumps(hash_shards(args.hash_shards)))
        return
    if args.pandas_child:
        child_pandas(args.pandas_child)
        return
    if args.spark_child:
        child_spark(*args.spark_child)
        return
    if args.train_child:
        a = args.train_child
        child_train(a[0], int(a[1]), float(a[2]), int(a[3]), int(a[4]))
        return
    if args.train:
        measure_training(args)
        return
    from _machine import machine_facts

    args.run_spark = args.spark == "yes" or (args.spark == "auto" and not args.quick)

    rows = args.rows or (1_500_000 if args.quick else 210_000_000)
    mean_len = args.mean_length if not args.quick else min(args.mean_length, 500)
    work = args.workdir or tempfile.mkdtemp(prefix="bench_pack.")
    os.makedirs(work, exist_ok=True)
    need = rows * ROW_BYTES * 3
    free = shutil.disk_usage(work).free
    if free < need:
        sys.exit(f"bench_pack: {work} has {free / 1e9:.0f} GB free; {need / 1e9:.0f} GB are needed "
                 f"(panel, temporary files, shards). Pass --workdir or fewer --rows.")
    results = {"benchmark": "pack", "machine": machine_facts(),
               "command": "python benchmarks/bench_pack.py " + _public_args(sys.argv[1:], work, args.out),
               "mode": "quick" if args.quick else "full", "memory_budget": args.memory, "panels": {},
               "runs": []}
    out_path = Path(args.out) if args.out else (QUICK_RESULTS if args.quick else RESULTS)
    row_bytes = ROW_BYTES + (8 if args.label == "yes" else 0)
    print(f"bench_pack: work dir {work}; panel {rows:,} rows x ({args.features} float32 features + id + "
          f"time{' + label' if args.label == 'yes' else ''}) = {rows * row_bytes / 1e9:.1f} GB in memory, "
          f"{args.files} files", flush=True)
    try:
        for label, n in (("small", max(10_000, int(rows * args.small_fraction))), ("full", rows)):
            data = os.path.join(work, f"panel-{label}")
            shutil.rmtree(data, ignore_errors=True)
            info = make_panel(data, rows=n, files=args.files, features=args.features, mean_len=mean_len,
                              seed=args.seed, label=args.label == "yes")
            results["panels"][label] = info
            print(f"{label}: {info['rows']:,} rows, {info['entities']:,} entities, "
                  f"{info['bytes_in_memory'] / 1e9:.2f} GB in memory, {info['bytes_on_disk'] / 1e9:.2f} GB "
                  f"on disk, generated in {info['generate_s']} s", flush=True)
            results["runs"] += measure_panel(label, data, work, args)
            if not args.keep:
                shutil.rmtree(data, ignore_errors=True)
            _summarise(results)
            out_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = out_path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(results, indent=1) + "\n")
            os.replace(tmp, out_path)
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"bench_pack: results in {out_path}")
    for k, v in results["summary"].items():
        print(f"  {k}: {v}")


def _public_args(argv: list[str], work: str, out: str | None) -> str:
    """The command line as recorded: this machine's directories replaced by WORKDIR and OUT."""
    text = " ".join(argv).replace(work, "WORKDIR")
    return text.replace(out, "OUT") if out else text


def _summarise(results: dict) -> None:
    s = {}
    for label in results["panels"]:
        runs = [r for r in results["runs"] if r["panel"] == label]
        hashes = {r["sha256"] for r in runs if r.get("status") == "ok" and r.get("sha256")}
        s[f"{label}_identical_sequences"] = len(hashes) == 1 if hashes else None
        s[f"{label}_paths_finished"] = [r["path"] for r in runs if r.get("status") == "ok"]
        base = {r["path"]: r["wall_s"] for r in runs if r.get("status") == "ok"}
        if "seqfeed pack --engine duckdb" in base and "seqfeed pack --engine arrow" in base:
            s[f"{label}_arrow_over_duckdb_wall"] = round(base["seqfeed pack --engine arrow"]
                                                         / base["seqfeed pack --engine duckdb"], 2)
        for r in runs:
            if r["path"].startswith("seqfeed pack") and r.get("status") == "ok":
                s[f"{label}_{r['path'].split()[-1]}_peak_rss_mib"] = round(r["peak_rss_bytes"] / 2**20)
    results["summary"] = s


if __name__ == "__main__":
    main()
