"""Streaming training from shards against in-memory training: peak memory as the data grows.

Writes sequence shards of ``n`` and ``4 n`` sequences (8 float32 features, lengths
U(20, 60), a binary label), then trains the same small LSTM for one epoch, each run
in its own subprocess (peak RSS = ``ru_maxrss`` of that child, imports included; the
shards are written by another subprocess, so the parent stays small: on Linux a child's
``ru_maxrss`` starts from its parent's RSS at the fork):

* in memory: ``read_shards(split="train")`` then ``SequenceModel.fit(seqs)``
  (length-bucketed batches from the whole set, scaler fitted on it);
* streamed: ``SequenceModel.fit(SHARDS/)`` (``ShardDataset``: a bounded shuffle
  window, the scaler from the manifest's moments).

Usage:
    python benchmarks/bench_stream.py            # n = 100,000 and 400,000 sequences
    python benchmarks/bench_stream.py --quick    # n = 10,000 and 40,000 -> results/quick/
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, machine_facts, results_path  # noqa: E402

CHILD = r"""
import json, os, resource, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
mode, path, batch, buffer = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
from seqfeed.keras import SequenceModel
from seqfeed.sources import read_shards
import seqfeed
t0 = time.time()
sm = SequenceModel.for_data(path, "classify", units=8, seed=0)
if mode == "memory":
    train = read_shards(path, split="train")
    sm.scaler = seqfeed.Standardizer().fit(train)
    h = sm.fit(train, epochs=1, batch_size=batch, seed=0, verbose=0)
else:
    ds = seqfeed.ShardDataset(path, batch_size=batch, shuffle_buffer=buffer, seed=0)
    h = sm.fit(ds, epochs=1, batch_size=batch, seed=0, verbose=0)
print(json.dumps({"seconds": time.time() - t0, "loss": h.history["loss"][-1],
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_shards(path: str, n: int, seed: int, chunk: int = 50_000) -> dict:
    """Shards of ``n`` sequences written chunk by chunk (the parent never holds them all)."""
    from seqfeed import SequenceSet
    from seqfeed.sources._shards import ShardWriter, sequence_table

    rng = np.random.default_rng(seed)
    w = ShardWriter(path, feature_names=[f"x{j}" for j in range(8)], rows_per_file=25_000)
    try:
        for a in range(0, n, chunk):
            k = min(chunk, n - a)
            L = rng.integers(20, 61, k)
            offsets = np.concatenate([[0], np.cumsum(L)])
            values = rng.normal(size=(int(offsets[-1]), 8)).astype(np.float32)
            y = (values[offsets[1:] - 1, 0] > 0).astype(np.int64)
            w.add(sequence_table(SequenceSet(values, offsets, targets=y, ids=np.arange(a, a + k)), "train"))
        return w.finish({"created_by": {"function": "benchmarks/bench_stream.py", "arguments": {"n": n},
                                        "command": None}, "columns": {"id": None, "time": None, "target": None},
                         "id_type": "int64", "target": {"name": "target", "level": "sequence", "type": "int64"},
                         "task_hint": "classify", "split": {"method": "given"}})
    except BaseException:
        w.abort()
        raise


def run(mode: str, path: str, batch: int, buffer: int) -> dict:
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, mode, path, str(batch), str(buffer)], capture_output=True,
                         text=True)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    rec["wall_seconds"] = time.time() - t0
    return rec


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--n", type=int, default=None, help="sequences of the smaller set (the larger has 4x)")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--buffer", type=int, default=16_384, help="ShardDataset shuffle window (sequences)")
    p.add_argument("--out", default=None)
    p.add_argument("--make", nargs=2, metavar=("PATH", "N"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.make:  # child: write the shards
        make_shards(args.make[0], int(args.make[1]), seed=int(args.make[1]))
        return 0
    n = args.n or (10_000 if args.quick else 100_000)
    work = tempfile.mkdtemp(prefix="seqfeed-bench-stream-")
    rows = []
    try:
        for size in (n, 4 * n):
            path = os.path.join(work, f"s{size}")
            subprocess.run([sys.executable, __file__, "--make", path, str(size)], check=True)
            m = json.loads(Path(path, "manifest.json").read_text())
            values_mib = m["n_steps"] * 8 * 4 / 2**20
            for mode in ("memory", "stream"):
                rec = run(mode, path, args.batch, args.buffer)
                rows.append({"sequences": size, "values_mib": round(values_mib, 1), "mode": mode, **rec})
                r = rows[-1]
                print(f"{size:>9,} seq {values_mib:8.1f} MiB  {mode:<7} "
                      + (f"peak RSS {r['peak_rss_mib']:7.0f} MiB  {r['wall_seconds']:6.1f} s  loss {r['loss']:.4f}"
                         if "error" not in r else f"failed: {r['error']}"), flush=True)
            shutil.rmtree(path, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    dest = results_path("stream.json", quick=args.quick, out=args.out)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps({"machine": machine_facts(), "command": command_line("bench_stream.py"),
                                "batch": args.batch, "buffer": args.buffer, "rows": rows}, indent=1))
    print(f"-> {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
