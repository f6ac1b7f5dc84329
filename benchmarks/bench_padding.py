"""Padding throughput: seqfeed.pad against keras.utils.pad_sequences, NumPy and tf.RaggedTensor.

Two cases, all methods measured in one run on the same data:

* case 1 ("float_features"): 100,000 float32 sequences of 8 features, lengths
  uniform in 10..500 (``--quick``: 20,000 sequences);
* case 2 ("int_tokens"): 1,000,000 int32 token sequences (1-D NumPy arrays), lengths
  uniform in 1..50 (``--quick``: 200,000), with ``dtype="int32"`` everywhere;
* case 2b ("int_token_lists"): the same kind of data as Python lists of ints (what a
  tokenizer returns), 1,000,000 of them (``--quick``: 200,000);
* case 3: one epoch of per-batch assembly (see ``per_batch_epoch``).

Methods (all pad "post", truncate nothing, pad with 0):

1. ``keras.utils.pad_sequences(list)``: the anchor every ratio is taken against;
2. ``seqfeed.pad(list)`` into a fresh array;
3. ``seqfeed.pad(list, out=buffer)`` reusing one buffer (allocated and touched once);
4. ``seqfeed.pad(SequenceSet)`` into a fresh array (set built once, outside the timing);
5. ``seqfeed.pad(SequenceSet, out=buffer)``;
6. a NumPy loop: ``np.zeros`` then ``out[i, :len(s)] = s`` per sequence;
7. ``tf.RaggedTensor.from_row_lengths(values, lengths).to_tensor().numpy()``, timed
   from the already-built ragged tensor (its construction is timed on its own row).

Protocol: data come from a fixed seed and are generated outside the timing. Each
method is called once untimed (a warm-up whose output is checked with
``np.array_equal`` against the Keras output, dtype and shape included; the run
aborts on any mismatch), then ``--repeats`` times with ``time.perf_counter``
around the padding call only, the garbage collector off during the call and the
previous output freed before the next call; the methods take turns within each
repeat (interleaved), so that load from other processes hits them alike. Reported: median, min and max seconds,
GB/s of output (output ``nbytes`` / median) and the ratio to Keras
(``keras_median / method_median``, > 1 means faster than Keras). The CPU time of
each call (``time.process_time``, this process only) is recorded too, with its own
ratio: on a shared machine it is less disturbed by other processes than wall time.
Arrays are freed between methods so the peak stays well under 10 GB for the full run.

seqfeed's compiled kernels (numba, when installed) are loaded once before any timing
(their one-time import and load cost is measured and reported on its own:
``compiled_kernels_load_s``); a process loads them by itself once it has padded
256 MB, so a training job pays this once, in its first epochs.

Usage::

    python benchmarks/bench_padding.py            # full run, 5 repeats
    python benchmarks/bench_padding.py --quick    # smaller data, 3 repeats, < 60 s
    python benchmarks/bench_padding.py --per-batch-only --repeats 5   # case 3 alone (written under quick/)

Writes every figure and some machine facts to ``benchmarks/results/padding.json``
(``--out`` to change).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before any TensorFlow import

import numpy as np
from _machine import command_line, machine_facts, results_path

import seqfeed

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "padding.json"
SEED = 20240601

CASES = {
    "float_features": dict(title="Case 1: float32 sequences, 8 features, lengths 10..500",
                           n_full=100_000, n_quick=20_000, lo=10, hi=500, features=8,
                           dtype="float32"),
    "int_tokens": dict(title="Case 2: int32 token sequences (1-D arrays), lengths 1..50",
                       n_full=1_000_000, n_quick=200_000, lo=1, hi=50, features=None,
                       dtype="int32"),
    "int_token_lists": dict(title="Case 2b: token sequences as Python lists of ints, lengths 1..50",
                            n_full=1_000_000, n_quick=200_000, lo=1, hi=50, features=None,
                            dtype="int32", python_lists=True),
}


class Mismatch(AssertionError):
    pass


# ------------------------------------------------------------------------------------ helpers
def _free():
    gc.collect()


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # ru_maxrss is KiB on Linux


def _time_calls(fn, repeats: int, cpu: list | None = None) -> list[float]:
    """``repeats`` timed calls of ``fn`` (wall seconds; CPU seconds appended to ``cpu``); each output
    is dropped before the next call."""
    times = []
    for _ in range(repeats):
        _free()
        gc.disable()
        try:
            c0 = time.process_time()
            t0 = time.perf_counter()
            res = fn()
            t1 = time.perf_counter()
            c1 = time.process_time()
        finally:
            gc.enable()
        del res
        times.append(t1 - t0)
        if cpu is not None:
            cpu.append(c1 - c0)
    _free()
    return times


def _check_equal(name: str, got: np.ndarray, ref: np.ndarray) -> None:
    """``got`` must equal ``ref``; a trailing feature axis of 1 (seqfeed's (B, T, 1)) is allowed."""
    if got.shape == ref.shape + (1,):
        got = got[..., 0]
    if got.shape != ref.shape or got.dtype != ref.dtype or not np.array_equal(got, ref):
        raise Mismatch(
            f"{name}: output differs from the reference (got shape {got.shape} dtype {got.dtype}, "
            f"reference shape {ref.shape} dtype {ref.dtype}, "
            f"equal values: {got.shape == ref.shape and bool(np.array_equal(got, ref))})")


def _make_data(case: dict, n: int, rng: np.random.Generator):
    """A list of ``n`` separately allocated sequences and their lengths."""
    lengths = rng.integers(case["lo"], case["hi"] + 1, size=n, dtype=np.int64)
    total = int(lengths.sum())
    if case["features"]:
        flat = rng.standard_normal((total, case["features"]), dtype=np.float32)
    else:
        flat = rng.integers(1, 30_000, size=total, dtype=np.int32)  # token ids, never the pad 0
    bounds = np.cumsum(lengths)[:-1]
    if case.get("python_lists"):
        as_list = flat.tolist()
        seqs = [as_list[a:b] for a, b in zip(np.concatenate([[0], bounds]).tolist(), np.cumsum(lengths).tolist())]
        del as_list
    else:
        seqs = [part.copy() for part in np.split(flat, bounds)]  # independent arrays, like real data
    del flat
    return seqs, lengths


def _load_keras():
    try:
        import keras  # noqa: F401  (imports TensorFlow as its backend)
        from keras.utils import pad_sequences
        return pad_sequences, f"keras {keras.__version__} (backend {keras.backend.backend()})"
    except Exception as e:  # ImportError, or a broken TF install
        return None, f"Keras unavailable ({type(e).__name__}: {e})"


def _load_tf():
    try:
        import tensorflow as tf
        return tf, f"tensorflow {tf.__version__}"
    except Exception as e:
        return None, f"TensorFlow unavailable ({type(e).__name__}: {e})"


def _machine_info(keras_note: str, tf_note: str) -> dict:
    return {**machine_facts(), "keras": keras_note, "tensorflow": tf_note}


# ------------------------------------------------------------------------------------ one case
def run_case(key: str, case: dict, *, quick: bool, repeats: int, seed: int, pad_sequences, tf) -> dict:
    n = case["n_quick"] if quick else case["n_full"]
    dtype = case["dtype"]
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    seqs, lengths = _make_data(case, n, rng)
    gen_s = time.perf_counter() - t0
    T = int(lengths.max())
    F = case["features"] or 1
    out_shape = (n, T) + ((case["features"],) if case["features"] else ())
    out_nbytes = int(np.prod(out_shape)) * np.dtype(dtype).itemsize
    print(f"\n{case['title']}")
    print(f"  {n:,} sequences, {int(lengths.sum()):,} steps, output {out_shape} {dtype} = "
          f"{out_nbytes / 1e9:.3f} GB (data generated in {gen_s:.1f} s, not timed)")

    results: list[dict] = []
    notes: list[str] = []
    ref = None  # the reference output (Keras when available)
    ref_name = None

    def measure(name, label, fn, *, check=True, is_output=True, check_batch=None):
        nonlocal ref, ref_name
        _free()
        warm = fn()
        if check:
            arr = warm.x if hasattr(warm, "x") else warm
            if ref is None:  # the first method checked is the reference (Keras)
                ref, ref_name = (arr if arr.flags.owndata else arr.copy()), name
            else:
                _check_equal(name, arr, ref)
            if check_batch is not None:
                check_batch(warm)
            del arr
        del warm
        _free()
        # timed later, interleaved with the other methods (see `timed` below)
        row = {"method": name, "label": label, "times_s": [], "cpu_s": [],
               "verified_against": ref_name if check else None, "output": is_output, "_fn": fn}
        results.append(row)
        print(f"  checked {label}", flush=True)
        return row

    def check_seqfeed_batch(b):
        counts = np.minimum(lengths, T)
        if not np.array_equal(b.lengths, counts):
            raise Mismatch("seqfeed: Batch.lengths differ from the input lengths")
        if b.mask.shape != (n, T) or not np.array_equal(b.mask.sum(axis=1), counts) \
                or not b.mask[np.arange(n), counts - 1].all():
            raise Mismatch("seqfeed: Batch.mask does not match the lengths")

    def numpy_loop():
        out = np.zeros(out_shape, dtype=dtype)
        for i, s in enumerate(seqs):
            out[i, :len(s)] = s
        return out

    # 1. Keras, the anchor
    if pad_sequences is not None:
        measure("keras_pad_sequences", "keras.utils.pad_sequences(list)",
                lambda: pad_sequences(seqs, dtype=dtype, padding="post"))
    else:
        notes.append("keras.utils.pad_sequences skipped: Keras/TensorFlow not installed; "
                     "outputs are checked against the NumPy loop and no ratios are given")
        ref, ref_name = numpy_loop(), "numpy_loop"

    # 1b. seqfeed.pad_sequences: the Keras drop-in, same call
    if pad_sequences is not None:
        measure("seqfeed_pad_sequences", "seqfeed.pad_sequences(list) (Keras drop-in)",
                lambda: seqfeed.pad_sequences(seqs, dtype=dtype, padding="post"))

    # 2. seqfeed.pad(list) into a fresh array
    measure("seqfeed_list", "seqfeed.pad(list)",
            lambda: seqfeed.pad(seqs, dtype=dtype, padding="post"), check_batch=check_seqfeed_batch)

    # 3. seqfeed.pad(list, out=buffer); the buffer is shared with method 5
    buf = np.empty(n * T * F, dtype=dtype)
    buf.fill(0)  # touch every page once
    measure("seqfeed_list_out", "seqfeed.pad(list, out=buf)",
            lambda: seqfeed.pad(seqs, dtype=dtype, padding="post", out=buf))

    # 4./5. seqfeed.pad(SequenceSet): the set is built once, outside the timing
    t0 = time.perf_counter()
    sset = seqfeed.SequenceSet.from_sequences(seqs)
    build_s = time.perf_counter() - t0
    measure("seqfeed_set", "seqfeed.pad(SequenceSet)",
            lambda: seqfeed.pad(sset, dtype=dtype, padding="post"), check_batch=check_seqfeed_batch)
    measure("seqfeed_set_out", "seqfeed.pad(SequenceSet, out=buf)",
            lambda: seqfeed.pad(sset, dtype=dtype, padding="post", out=buf))
    measure("seqfeed_set_build", "  (SequenceSet.from_sequences build, not padding)",
            lambda: seqfeed.SequenceSet.from_sequences(seqs), check=False, is_output=False)

    # 6. NumPy preallocate-and-copy loop
    measure("numpy_loop", "NumPy zeros + per-row copy loop", numpy_loop)

    # 7. tf.RaggedTensor.to_tensor from a prebuilt ragged tensor (construction timed apart)
    if tf is not None:
        values = np.asarray(sset.values, dtype=dtype)
        values = values if case["features"] else values.reshape(-1)
        row_lengths = np.asarray(lengths)
        rt = tf.RaggedTensor.from_row_lengths(values, row_lengths)
        measure("tf_ragged_to_tensor", "tf.RaggedTensor.to_tensor().numpy()",
                lambda: rt.to_tensor().numpy())
        measure("tf_ragged_build", "  (tf.RaggedTensor.from_row_lengths build, not padding)",
                lambda: tf.RaggedTensor.from_row_lengths(values, row_lengths),
                check=False, is_output=False)
    else:
        notes.append("tf.RaggedTensor skipped: TensorFlow not installed")
    ref = None
    _free()
    # timing: methods interleaved within each repeat (one call each, in turn), so that load from
    # other processes hits every method alike; the previous output is freed before each call
    for _ in range(repeats):
        for row in results:
            row["times_s"].extend(_time_calls(row["_fn"], 1, row["cpu_s"]))
    for row in results:
        del row["_fn"]
        times = row["times_s"]
        med = statistics.median(times)
        row.update({"median_s": med, "min_s": min(times), "max_s": max(times),
                    "cpu_median_s": statistics.median(row["cpu_s"]),
                    "gb_per_s": out_nbytes / med / 1e9 if row["output"] else None})
        print(f"  measured {row['label']}: median {med:.4f} s", flush=True)
    del sset, seqs, buf
    if tf is not None:
        del rt, values
    _free()

    anchor = next((r for r in results if r["method"] == "keras_pad_sequences"), None)
    for r in results:
        r["ratio_to_keras"] = (anchor["median_s"] / r["median_s"]) if anchor and r["output"] else None
        r["ratio_to_keras_cpu"] = (anchor["cpu_median_s"] / r["cpu_median_s"]) if anchor and r["output"] else None

    _print_table(case["title"], n, out_shape, dtype, out_nbytes, repeats, results, notes)
    return {
        "title": case["title"], "n_sequences": n, "length_range": [case["lo"], case["hi"]],
        "features": case["features"], "dtype": dtype, "output_shape": list(out_shape),
        "output_nbytes": out_nbytes, "total_steps": int(lengths.sum()),
        "sequence_set_build_s_first": build_s, "reference": ref_name, "notes": notes,
        "methods": results,
    }


def _print_table(title, n, shape, dtype, nbytes, repeats, results, notes):
    head = (f"{'method':<56} {'median s':>9} {'min s':>9} {'max s':>9} {'GB/s':>7} {'x Keras':>8} "
            f"{'CPU s':>8} {'x Keras CPU':>12}")
    print(f"\n{title}: {n:,} sequences -> {shape} {dtype}, {nbytes / 1e9:.3f} GB output, "
          f"median of {repeats}")
    print(head)
    print("-" * len(head))
    for r in results:
        gbs = f"{r['gb_per_s']:.2f}" if r["gb_per_s"] is not None else "-"
        ratio = f"{r['ratio_to_keras']:.2f}" if r["ratio_to_keras"] is not None else "-"
        rcpu = f"{r['ratio_to_keras_cpu']:.2f}" if r["ratio_to_keras_cpu"] is not None else "-"
        print(f"{r['label']:<56} {r['median_s']:>9.4f} {r['min_s']:>9.4f} {r['max_s']:>9.4f} "
              f"{gbs:>7} {ratio:>8} {r['cpu_median_s']:>8.4f} {rcpu:>12}")
    for note in notes:
        print(f"note: {note}")


# ------------------------------------------------------------------------------------ case 3
def per_batch_epoch(*, quick: bool, repeats: int, seed: int, pad_sequences) -> dict:
    """Case 3: one epoch of per-batch assembly, as training does it.

    50,000 float32 sequences (``--quick``: 10,000), lengths 10..500, 8 features, in the
    length-bucketed batches of 64 of ``BucketSampler(seed=0)`` epoch 0; every method
    pads the same batches, each to its own longest member, post, with 0. Methods are
    interleaved within each repeat (one epoch each, in turn) so that load from other
    processes hits them alike; each epoch is timed whole (including building the
    per-batch list that the list-based methods need). ``ratio_to_keras`` = Keras
    median / method median; ``ratio_to_numpy`` likewise against the NumPy loop. The last
    row is not a method but the memory floor: the same number of bytes per batch copied
    with one sequential ``memcpy`` (no gather, padding or mask) into a reused buffer.
    """
    n = 10_000 if quick else 50_000
    F = 8
    rng = np.random.default_rng(seed)
    lengths = rng.integers(10, 501, size=n, dtype=np.int64)
    flat = rng.standard_normal((int(lengths.sum()), F), dtype=np.float32)
    seqs = [part.copy() for part in np.split(flat, np.cumsum(lengths)[:-1])]
    del flat
    sset = seqfeed.SequenceSet.from_sequences(seqs)
    sampler = seqfeed.BucketSampler(lengths, batch_size=64, seed=0)
    loader = seqfeed.BatchLoader(sset, sampler)
    plan = sampler.batches(0)
    out_bytes = sum(int(b.size) * int(lengths[b].max()) * F * 4 for b in plan)

    def keras_epoch():
        for b in plan:
            pad_sequences([seqs[i] for i in b], dtype="float32", padding="post")

    def numpy_epoch():
        for b in plan:
            out = np.zeros((b.size, int(lengths[b].max()), F), dtype=np.float32)
            for k, i in enumerate(b.tolist()):
                out[k, :lengths[i]] = seqs[i]

    def loader_epoch():
        sampler.set_epoch(0)
        for _ in loader:
            pass

    def drop_in_epoch():
        for b in plan:
            seqfeed.pad_sequences([seqs[i] for i in b], dtype="float32", padding="post")

    def pad_list_epoch():
        for b in plan:
            seqfeed.pad([seqs[i] for i in b])

    # the memory floor: one sequential copy per batch of as many bytes as the padded batch, from a copy of
    # the set's steps of its own (so that no method reads data another one has just brought into cache)
    # into one reused, touched buffer; no gather, no padding, no mask
    floor_src = np.array(sset.values).reshape(-1)
    per_batch = [int(lengths[b].max()) * int(b.size) * F for b in plan]
    floor_buf = np.empty(max(per_batch), dtype=np.float32)
    floor_buf.fill(0)

    def memcpy_floor():
        a = 0
        for k in per_batch:
            if a + k > floor_src.size:
                a = 0
            floor_buf[:k] = floor_src[a:a + k]
            a += k

    methods = [("keras_per_batch", "keras.utils.pad_sequences per batch", keras_epoch),
               ("numpy_loop_per_batch", "NumPy zeros + row copies per batch", numpy_epoch),
               ("seqfeed_batchloader", "seqfeed.BatchLoader epoch (reused buffers)", loader_epoch),
               ("seqfeed_pad_sequences_per_batch", "seqfeed.pad_sequences per batch", drop_in_epoch),
               ("seqfeed_pad_list_per_batch", "seqfeed.pad(list) per batch", pad_list_epoch),
               ("memcpy_floor", "(floor) one sequential memcpy per batch", memcpy_floor)]
    if pad_sequences is None:
        methods = methods[1:]
    # correctness: the first batches of every method equal the NumPy reference
    for b in plan[:3]:
        ref = np.zeros((b.size, int(lengths[b].max()), F), dtype=np.float32)
        for k, i in enumerate(b.tolist()):
            ref[k, :lengths[i]] = seqs[i]
        got = {"loader": loader.batch(b).x, "drop_in": seqfeed.pad_sequences([seqs[i] for i in b], dtype="float32",
                                                                            padding="post"),
               "pad": seqfeed.pad([seqs[i] for i in b]).x}
        if pad_sequences is not None:
            got["keras"] = pad_sequences([seqs[i] for i in b], dtype="float32", padding="post")
        for name, arr in got.items():
            _check_equal(f"case 3 {name}", arr, ref)
    print(f"\nCase 3: one epoch of per-batch assembly: {n:,} float32 sequences, lengths 10..500, 8 features, "
          f"{len(plan)} bucketed batches of 64 ({out_bytes / 1e9:.3f} GB of output), methods interleaved, "
          f"median of {repeats}")
    for _, _, fn in methods:  # warm-up: first-use costs (buffers, lazy imports)
        fn()
    times = {k: [] for k, _, _ in methods}
    cpu = {k: [] for k, _, _ in methods}
    for _ in range(repeats):
        for key, _, fn in methods:
            times[key].extend(_time_calls(fn, 1, cpu[key]))
    med = {k: statistics.median(v) for k, v in times.items()}
    cmed = {k: statistics.median(v) for k, v in cpu.items()}
    rows = []
    head = (f"{'method':<48} {'median s':>9} {'min s':>8} {'max s':>8} {'GB/s':>6} {'x Keras':>8} {'x NumPy':>8} "
            f"{'CPU s':>7} {'x Keras CPU':>12} {'x NumPy CPU':>12}")
    print(head)
    print("-" * len(head))
    for key, label, _ in methods:
        r = {"method": key, "label": label, "median_s": med[key], "min_s": min(times[key]),
             "max_s": max(times[key]), "times_s": times[key], "gb_per_s": out_bytes / med[key] / 1e9,
             "ratio_to_keras": (med["keras_per_batch"] / med[key]) if "keras_per_batch" in med else None,
             "ratio_to_numpy": med["numpy_loop_per_batch"] / med[key],
             "cpu_s": cpu[key], "cpu_median_s": cmed[key],
             "ratio_to_keras_cpu": (cmed["keras_per_batch"] / cmed[key]) if "keras_per_batch" in cmed else None,
             "ratio_to_numpy_cpu": cmed["numpy_loop_per_batch"] / cmed[key]}
        rows.append(r)
        rk = f"{r['ratio_to_keras']:.2f}" if r["ratio_to_keras"] is not None else "-"
        rkc = f"{r['ratio_to_keras_cpu']:.2f}" if r["ratio_to_keras_cpu"] is not None else "-"
        print(f"{label:<48} {r['median_s']:>9.4f} {r['min_s']:>8.4f} {r['max_s']:>8.4f} {r['gb_per_s']:>6.2f} "
              f"{rk:>8} {r['ratio_to_numpy']:>8.2f} {r['cpu_median_s']:>7.4f} {rkc:>12} {r['ratio_to_numpy_cpu']:>12.2f}")
    from seqfeed.core._kernels import compiled_available

    return {"title": "Case 3: one epoch of per-batch assembly", "n_sequences": n, "features": F,
            "length_range": [10, 500], "batch_size": 64, "batches": len(plan), "output_nbytes": out_bytes,
            "compiled_kernel": compiled_available(), "methods": rows}


# ------------------------------------------------------------------------------------ kernels
def kernel_crossover(repeats: int) -> list[dict]:
    """Time seqfeed's two copy kernels on the same ragged data over a range of row lengths.

    The ratio rows/scatter > 1 means the scatter kernel is faster; the default
    choice (``SCATTER_BELOW_STEPS`` in ``seqfeed/core/_copy.py``) follows this table.
    """
    from seqfeed.core._copy import SCATTER_BELOW_STEPS, fill_padded, length_mask

    rng = np.random.default_rng(SEED)
    rows = []
    print(f"\nCopy kernels (ragged -> padded, post), median of {repeats}; default scatter below "
          f"{SCATTER_BELOW_STEPS} steps per row")
    print(f"{'F':>3} {'dtype':>8} {'mean len':>9} {'rows s':>9} {'scatter s':>10} {'rows/scatter':>13} {'chosen':>8}")
    for F, dt in ((1, np.int32), (8, np.float32)):
        for mean in (10, 40, 160, 400, 1000):
            B = max(1000, int(4e6 / (mean * F)))
            L = rng.integers(1, 2 * mean, B)
            N, T = int(L.sum()), int(L.max())
            v = rng.random((N, F)).astype(dt)
            offs = np.zeros(B + 1, np.int64)
            np.cumsum(L, out=offs[1:])
            out = np.empty((B, T, F), dt)
            out.fill(1)
            m = length_mask(L, T, "post")
            t = {}
            for k in ("rows", "scatter"):
                t[k] = statistics.median(_time_calls(
                    lambda: fill_padded(v, offs[:-1], L, out, padding="post", value=0, kernel=k, mask=m),
                    repeats))
            chosen = "scatter" if L.mean() < SCATTER_BELOW_STEPS else "rows"
            rows.append({"features": F, "dtype": np.dtype(dt).name, "mean_length": float(L.mean()),
                         "rows_s": t["rows"], "scatter_s": t["scatter"], "chosen": chosen})
            print(f"{F:>3} {np.dtype(dt).name:>8} {L.mean():>9.0f} {t['rows']:>9.4f} {t['scatter']:>10.4f} "
                  f"{t['rows'] / t['scatter']:>13.2f} {chosen:>8}")
            del v, out, m
            _free()
    return rows


# ------------------------------------------------------------------------------------ main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller data and 3 repeats (< 60 s)")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per method (default 5; quick 3)")
    p.add_argument("--out", type=Path, default=None,
                   help="JSON results file (default benchmarks/results/padding.json)")
    p.add_argument("--seed", type=int, default=SEED, help=f"NumPy seed (default {SEED})")
    p.add_argument("--no-per-batch", action="store_true",
                   help="skip case 3 (one epoch of per-batch assembly)")
    p.add_argument("--per-batch-only", action="store_true",
                   help="only case 3 (a partial run: written under results/quick/ unless --out is given)")
    p.add_argument("--kernels", action="store_true",
                   help="also time seqfeed's two copy kernels across row lengths (the crossover)")
    args = p.parse_args(argv)
    repeats = args.repeats if args.repeats is not None else (3 if args.quick else 5)
    if repeats < 1:
        p.error("--repeats must be >= 1")
    if args.per_batch_only and args.no_per_batch:
        p.error("--per-batch-only and --no-per-batch exclude each other")

    t_start = time.perf_counter()
    pad_sequences, keras_note = _load_keras()
    tf, tf_note = _load_tf()
    info = _machine_info(keras_note, tf_note)
    from seqfeed.core import _kernels

    # one-time cost, measured on its own and kept out of every timed call (see the module docstring)
    t0 = time.perf_counter()
    compiled = _kernels._compiled() is not None
    info["compiled_kernels"] = compiled
    info["compiled_kernels_load_s"] = round(time.perf_counter() - t0, 3) if compiled else None
    info["load_average_at_start"] = list(os.getloadavg())
    print(f"seqfeed {info['seqfeed']}, numpy {info['numpy']}, {keras_note}, {tf_note}, "
          f"{info['cpu_count']} CPUs, mode {'quick' if args.quick else 'full'}, {repeats} repeats")

    cases = {}
    try:
        for key, case in ({} if args.per_batch_only else CASES).items():
            cases[key] = run_case(key, case, quick=args.quick, repeats=repeats, seed=args.seed,
                                  pad_sequences=pad_sequences, tf=tf)
    except Mismatch as e:
        print(f"\nABORT: output check failed: {e}", file=sys.stderr)
        return 1

    per_batch = None
    if not args.no_per_batch:
        per_batch = per_batch_epoch(quick=args.quick, repeats=repeats, seed=args.seed, pad_sequences=pad_sequences)
    kernels = kernel_crossover(repeats) if args.kernels else None
    total_s = time.perf_counter() - t_start
    info["peak_rss_gb"] = round(_peak_rss_gb(), 2)
    info["load_average_at_end"] = list(os.getloadavg())
    doc = {
        "benchmark": "padding",
        "mode": ("quick" if args.quick else "full") + (", case 3 only" if args.per_batch_only else ""),
        "repeats": repeats,
        "seed": args.seed,
        "protocol": ("1 untimed warm-up call per method (its output checked with np.array_equal "
                     "against keras.utils.pad_sequences), then `repeats` timed calls with "
                     "time.perf_counter around the padding call only, gc disabled during the call, methods interleaved within each repeat; "
                     "gb_per_s = output nbytes / median; ratio_to_keras = keras median / method "
                     "median; cpu_* and *_cpu: the same with time.process_time (this process's CPU "
                     "time). seqfeed's compiled kernels are loaded before any timing "
                     "(machine.compiled_kernels_load_s). All methods pad 'post' with 0, no truncation."),
        "machine": info,
        "total_wall_s": total_s,
        "cases": cases,
        "per_batch_epoch": per_batch,
        "kernels": kernels,
        "command": command_line("bench_padding.py", argv),
    }
    out = results_path("padding.json", quick=args.quick or args.per_batch_only, out=args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\ntotal {total_s:.1f} s, peak RSS {info['peak_rss_gb']} GB; results written to "
          f"{out.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
