"""Training throughput: one LSTM(64) classifier trained under several batching strategies.

Two datasets, every strategy trained in the same run on the same data:

* ``synthetic``: 4,096 sequences (``--quick``: 512) of 8 float32 features, lengths
  log-normal (median 60, sigma 0.9) clipped to [2, 2000]; 4 classes given by the
  signs of the means of features 0 and 1 over the last 5 real steps (so the label
  depends on the data and the loss is meaningful);
* ``japanese_vowels``: the bundled JapaneseVowels training set (270 sequences,
  12 features, lengths 7-26, 9 speakers), trained `--jv-epochs` epochs (default 10:
  its epochs take ~0.2 s).

Strategies (batches of 64 sequences unless stated; all post padded, every model
gets an explicit ``mask`` input built from the lengths):

1. ``global``: random batches (``FixedSampler``), each padded with
   ``seqfeed.pad(..., maxlen=global_max)`` to the longest sequence of the whole
   set: the anchor every ratio is taken against;
2. ``tf.data bucket``: the fastest form tf.data offers: a ``tf.RaggedTensor``
   sliced with ``Dataset.from_tensor_slices`` (no Python per sequence), shuffled
   with a seed each epoch, then ``Dataset.bucket_by_sequence_length`` with the
   length deciles as boundaries, padded to each batch's longest member, and
   ``mask = tf.sequence_mask(lengths, T)`` mapped after batching;
3. ``seqfeed bucket``: ``BucketSampler(batch_size=64)`` + ``BatchLoader`` +
   ``seqfeed.keras.to_tf_dataset``;
4. ``seqfeed tokens``: ``TokenBudgetSampler`` + ``BatchLoader`` +
   ``to_tf_dataset``, for two budgets (each labelled in the table):
   ``64 x median length`` (the budget of a median batch of 64) and
   ``256 x mean length`` with at most 256 sequences per batch (fewer, larger
   batches);
5. ``seqfeed adaptive``: ``AdaptiveSampler`` (length-sorted batches cut by
   dynamic programming to minimise ``sum(T * (B + overhead))``): the default
   (at most 64 rows, overhead 2), and with the number of batches held at that of
   fixed batches of 64 (``n_batches=ceil(n / 64)``, at most 96 rows, overhead 1),
   so that an epoch takes the same number of optimiser steps as global padding
   and the final losses are comparable; and that one again with ``balance=True``
   (rows weighted by batch size / mean batch size, so every sequence counts the
   same although Keras averages the loss per batch).

More sampler settings (bucket counts, other budgets, other overheads) are
evaluated without training, for padding and LSTM iterations only (``plan_only``
in the JSON).

Every input pipeline ends the same way (free batch and time axes,
``assert_cardinality``, ``prefetch(1)``), so Keras traces its train step once per model and the strategies differ only in which sequences share a
batch and how far each batch is padded.

Protocol, per dataset: ``keras.utils.set_random_seed(0)``, one model from
``build_lstm("classify", units=64, seed=0)`` + ``compile_for_task``, its
optimizer built, its weights and optimizer state saved; a warm-up ``fit`` on 2
batches traces the train step (every pipeline has the same element signature,
so this one trace serves every strategy; the trace count is recorded after each
run), then the saved state is restored. Per repeat and strategy (strategies
interleaved within each repeat): restore the saved state (identical initial
weights and a fresh Adam for every run; a restored model trains bit for bit like
a freshly built one), train ``--epochs`` epochs on a fresh pipeline instance,
each epoch timed with ``time.perf_counter`` in ``on_epoch_begin`` /
``on_epoch_end``. ``s/epoch`` is the median over all timed epochs of all
repeats; the slow global anchor runs ``--anchor-repeats`` (default 2) repeats to
keep the full run near 15 minutes. The final training loss is the last epoch's
Keras loss; ``eval`` is the loss of the trained model over the whole training
set, computed identically for every strategy (first repeat only). Training is
deterministic, so every repeat must give the same loss (checked and recorded).

Derived columns: ``eff`` = real steps / padded steps (the mean over the timed
epochs); ``loop steps`` = sum over batches of the batch's time steps, i.e. the
LSTM iterations per epoch (on CPU each iteration has a fixed cost on top of the
work per row); ``real steps/s`` = real steps per epoch / ``s/epoch``;
``input s`` = seconds to iterate one epoch of the pipeline with no model (the
per-batch Python and tf.data cost); ``x global`` = global's ``s/epoch`` / this
``s/epoch`` (> 1 is faster than global padding).

Noise: the loss differs between strategies because batches hold different
sequences. The tolerance is the anchor's own noise: global padding trained with
other shuffling seeds (same initial weights). Those runs use
``FixedSampler`` batches padded to their own longest member instead of the global
maximum: with the mask as input the padding cannot change a result, so they are
the anchor's computation at a fraction of its cost; the run with the anchor's
own seed checks that (its loss must equal global padding's, recorded as
``equivalence_delta``). The spread (max - min) of the final losses over seeds
0..``--noise-seeds`` is the tolerance. The same seeds are also run for seqfeed
bucket and the default adaptive sampler, to show their own spread.

Usage::

    python benchmarks/bench_training.py            # full run: 3 repeats, 2 epochs, then the XLA table
    python benchmarks/bench_training.py --quick    # 512 synthetic sequences, 1 repeat, < 60 s
    python benchmarks/bench_training.py --xla-only # only the 20-epoch XLA table

XLA table (``xla`` in the JSON): total wall time (and process CPU time) of 20 epochs
(``--xla-epochs``) on 2,048 synthetic sequences (``--xla-n``), each configuration
with a freshly built ``SequenceModel.for_data(seqs, "classify", units=64, seed=0)`` (so the
same initial weights), its trace and XLA compilation included in the total and also
shown apart (first epoch minus the median later epoch): today's default
(``fit(jit_compile=False)``: ``BucketSampler`` batches of 64 padded per batch, no XLA),
tf.data ``bucket_by_sequence_length`` from a ``RaggedTensor`` (the same Keras model),
and seqfeed's default, ``fit(jit_compile="auto")``, whose decision and estimate are
printed (when it declines XLA, a ``jit_compile=True`` row is added). With XLA seqfeed
trains the same batches as today's default, padded to a few fixed shapes, with the
recurrent loop stopping at each batch's last real step. ``ms/step`` is the steady
epoch over its batches (the CPU step cost with and without XLA on this data). Losses:
the final training loss Keras reports, and ``eval``, the mean log loss of the trained
model over the whole training set computed the same way for every row; the
tolerance is the spread of today's default over sampler seeds 0..``--noise-seeds``
(at most 2) at the same 20 epochs.

Writes every figure and some machine facts to ``benchmarks/results/training.json``
(``--quick``: ``benchmarks/results/quick/``; ``--xla-only``: ``training_xla.json``;
``--out`` to change).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before any TensorFlow import

import numpy as np
from _machine import machine_facts

import seqfeed
from seqfeed import (AdaptiveSampler, BatchLoader, BucketSampler, FixedSampler, SequenceSet,
                     TokenBudgetSampler)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "training.json"
JV_FILE = REPO / "src" / "seqfeed" / "datasets" / "data" / "japanese_vowels_train.ts.gz"
BATCH = 64
SEED = 0
DATA_SEED = 20240601
TARGETS = {"efficiency": 0.97, "x_global": 2.5, "x_tfdata": 1.2}


# ------------------------------------------------------------------------------------ data
def make_synthetic(n: int, rng: np.random.Generator) -> SequenceSet:
    """Long-tailed lengths (log-normal, median 60), 8 features, 4 data-dependent classes."""
    lengths = np.clip(np.round(rng.lognormal(np.log(60.0), 0.9, n)), 2, 2000).astype(np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = rng.standard_normal((int(offsets[-1]), 8), dtype=np.float32)
    ends = offsets[1:]
    last5 = (ends[:, None] - 1 - np.arange(5)[None, :]).clip(min=offsets[:-1, None])
    m0 = values[last5, 0].mean(axis=1)
    m1 = values[last5, 1].mean(axis=1)
    labels = (2 * (m0 > 0) + (m1 > 0)).astype(np.int64)
    return SequenceSet(values, offsets, targets=labels)


def _parse_ts(path: Path) -> SequenceSet:
    seqs, labels = [], []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        in_data = False
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@"):
                in_data = line.lower().startswith("@data")
                continue
            if not in_data:
                continue
            *dims, label = line.split(":")
            seqs.append(np.array([[float(v) for v in d.split(",")] for d in dims], dtype=np.float32).T)
            labels.append(label)
    _, y = np.unique(np.array(labels), return_inverse=True)
    return SequenceSet.from_sequences(seqs, targets=y.astype(np.int64), dtype=np.float32)


def load_japanese_vowels() -> tuple[SequenceSet, str]:
    """The training split, from ``seqfeed.datasets`` if it has it, else parsed from the bundled file."""
    try:
        import seqfeed.datasets as ds_mod

        fn = getattr(ds_mod, "japanese_vowels", None)
    except ImportError:
        fn = None
    if fn is not None:
        for kwargs in ({"split": "train"}, {}):
            try:
                got = fn(**kwargs)
            except TypeError:
                continue
            cands = got if isinstance(got, (tuple, list)) else (got,)
            for c in cands:
                if isinstance(c, SequenceSet) and len(c) == 270 and c.targets is not None:
                    _, y = np.unique(np.asarray(c.targets), return_inverse=True)
                    values = np.asarray(c.values, dtype=np.float32)
                    return SequenceSet(values, c.offsets, targets=y.astype(np.int64)), \
                        "seqfeed.datasets.japanese_vowels"
    return _parse_ts(JV_FILE), "parsed from the bundled japanese_vowels_train.ts.gz"


# ------------------------------------------------------------------------------------ strategies
class Strategy:
    """A batching strategy: fresh tf.data pipelines (epoch 0 first) and its batch plan."""

    def __init__(self, key, name, setting, make_ds, plan):
        self.key, self.name, self.setting = key, name, setting
        self.make_ds = make_ds  # (sampler_seed) -> tf.data.Dataset
        self.plan = plan  # (epoch, sampler_seed) -> list of (batch_size, time_steps)


def _input_signature(tf, F):
    return ({"x": tf.TensorSpec((None, None, F), tf.float32), "mask": tf.TensorSpec((None, None), tf.bool)},
            tf.TensorSpec((None,), tf.int64))


def _finish(tf, ds, n_batches):
    ds = ds.apply(tf.data.experimental.assert_cardinality(n_batches))
    return ds.prefetch(1)


def global_strategy(seqs, tf, *, per_batch: bool = False) -> Strategy:
    """Random fixed batches of BATCH padded to the global maximum (the anchor), or with
    ``per_batch=True`` the same batches padded only to their own longest member (the same
    computation with the mask as input, at a fraction of the cost: used for the noise runs)."""
    L = seqs.lengths
    T = None if per_batch else int(L.max())
    y_all = np.asarray(seqs.targets)

    def make_ds(seed=SEED):
        sampler = FixedSampler(L, batch_size=BATCH, seed=seed)
        state = {"epoch": 0}

        def gen():
            e = state["epoch"]
            state["epoch"] += 1
            for idx in sampler.batches(e):
                b = seqfeed.pad(seqs.take(idx), maxlen=T)
                yield {"x": b.x, "mask": b.mask}, y_all[idx]

        ds = tf.data.Dataset.from_generator(gen, output_signature=_input_signature(tf, seqs.n_features))
        return _finish(tf, ds, len(sampler))

    def plan(epoch, seed=SEED):
        return [(int(b.size), T or int(L[b].max()))
                for b in FixedSampler(L, batch_size=BATCH, seed=seed).batches(epoch)]

    if per_batch:
        return Strategy("global_per_batch", "global (same)", f"batch {BATCH}, padded per batch", make_ds, plan)
    return Strategy("global", "global", f"batch {BATCH}, T={T}", make_ds, plan)


def _dense_row(x, n, y):
    import tensorflow as tf

    return (x.to_tensor() if isinstance(x, tf.RaggedTensor) else x), n, y


def tfdata_strategy(seqs, tf) -> Strategy:
    """tf.data's fastest bucketing: a ``tf.RaggedTensor`` sliced into elements (no Python per
    sequence), shuffled with a seed each epoch, ``bucket_by_sequence_length`` on the length deciles,
    each batch padded to its longest member, the mask built in the graph."""
    L = seqs.lengths
    F = seqs.n_features
    y_all = np.asarray(seqs.targets).astype(np.int64)
    bounds = [int(b) for b in np.unique(np.round(np.quantile(L, np.arange(1, 10) / 10)).astype(np.int64))
              if b > L.min()]
    bucket_of = np.searchsorted(np.asarray(bounds), L, side="right")  # bounds[i-1] <= len < bounds[i]
    n_batches = int(sum(-(-int(np.sum(bucket_of == k)) // BATCH) for k in range(len(bounds) + 1)))
    rt = tf.RaggedTensor.from_row_lengths(np.asarray(seqs.values, dtype=np.float32), L)
    lens = L.astype(np.int32)

    def make_ds(seed=SEED):
        ds = tf.data.Dataset.from_tensor_slices((rt, lens, y_all))
        ds = ds.shuffle(L.size, seed=seed, reshuffle_each_iteration=True)
        ds = ds.map(_dense_row)  # a row of a ragged tensor arrives as a ragged value of ragged rank 0
        ds = ds.bucket_by_sequence_length(
            element_length_func=lambda x, n, y: n, bucket_boundaries=bounds,
            bucket_batch_sizes=[BATCH] * (len(bounds) + 1), padded_shapes=([None, F], [], []),
            pad_to_bucket_boundary=False)
        ds = ds.map(lambda x, n, y: ({"x": x, "mask": tf.sequence_mask(n, tf.shape(x)[1])}, y),
                    num_parallel_calls=tf.data.AUTOTUNE)
        return _finish(tf, ds, n_batches)

    cache = {}

    def plan(epoch, seed=SEED):
        # tf.data's shuffle order is not reproducible outside TensorFlow: read the batch shapes
        # off the pipeline itself (pass `epoch` of one dataset instance)
        key = (seed, epoch)
        if key not in cache:
            ds = make_ds(seed)
            for e in range(epoch + 1):
                shapes = [(int(el[0]["x"].shape[0]), int(el[0]["x"].shape[1])) for el in ds]
                cache[(seed, e)] = shapes
        return cache[key]

    return Strategy("tfdata_bucket", "tf.data bucket", f"RaggedTensor, batch {BATCH}, {len(bounds)} decile bounds",
                    make_ds, plan)


def seqfeed_strategy(seqs, tf, key, name, setting, make_sampler, balance=False) -> Strategy:
    from seqfeed.keras import to_tf_dataset

    def make_ds(seed=SEED):
        return to_tf_dataset(BatchLoader(seqs, make_sampler(seed), balance=balance))

    def plan(epoch, seed=SEED):
        L = seqs.lengths
        return [(int(b.size), int(L[b].max())) for b in make_sampler(seed).batches(epoch)]

    return Strategy(key, name, setting, make_ds, plan)


def strategies_for(seqs, tf) -> list[Strategy]:
    L = seqs.lengths
    med, mean = float(np.median(L)), float(L.mean())
    budgets = [
        ("tokens_64_median", f"{int(round(BATCH * med)):,} = 64 x median", int(round(BATCH * med)), None),
        ("tokens_256_mean", f"{int(round(256 * mean)):,} = 256 x mean, <=256 rows", int(round(256 * mean)), 256),
    ]
    out = [global_strategy(seqs, tf), tfdata_strategy(seqs, tf)]
    out.append(seqfeed_strategy(seqs, tf, "seqfeed_bucket", "seqfeed bucket", f"batch {BATCH}, 8 buckets",
                                lambda s: BucketSampler(L, batch_size=BATCH, seed=s)))
    for key, setting, k, cap in budgets:
        out.append(seqfeed_strategy(seqs, tf, key, "seqfeed tokens", setting,
                                    lambda s, k=k, cap=cap: TokenBudgetSampler(L, max_tokens=k, max_batch_size=cap,
                                                                               seed=s)))
    out.append(seqfeed_strategy(seqs, tf, "seqfeed_adaptive_2", "seqfeed adaptive",
                                f"<= {BATCH} rows, overhead 2 (default)",
                                lambda s: AdaptiveSampler(L, max_batch_size=BATCH, step_overhead=2.0, seed=s)))
    n_fixed = -(-L.size // BATCH)
    out.append(seqfeed_strategy(seqs, tf, "seqfeed_adaptive_fixed_steps", "seqfeed adaptive",
                                f"{n_fixed} batches, <= {BATCH * 3 // 2} rows, overhead 1",
                                lambda s: AdaptiveSampler(L, max_batch_size=BATCH * 3 // 2, step_overhead=1.0,
                                                          n_batches=n_fixed, seed=s)))
    out.append(seqfeed_strategy(seqs, tf, "seqfeed_adaptive_fixed_steps_balanced", "seqfeed adaptive",
                                f"{n_fixed} batches, <= {BATCH * 3 // 2}, balanced",
                                lambda s: AdaptiveSampler(L, max_batch_size=BATCH * 3 // 2, step_overhead=1.0,
                                                          n_batches=n_fixed, seed=s), balance=True))
    return out


def plan_stats(strategy: Strategy, lengths: np.ndarray, epochs: int, seed: int = SEED) -> dict:
    real = int(lengths.sum())
    padded, loops, batches = [], [], []
    for e in range(epochs):
        p = strategy.plan(e, seed)
        padded.append(sum(b * t for b, t in p))
        loops.append(sum(t for _, t in p))
        batches.append(len(p))
    return {"real_steps": real, "padded_steps": float(np.mean(padded)), "efficiency": real / float(np.mean(padded)),
            "loop_steps": float(np.mean(loops)), "batches": int(round(np.mean(batches))),
            "max_batch_rows": max(b for b, _ in strategy.plan(0, seed))}


# ------------------------------------------------------------------------------------ training
def _build(keras, n_features, n_classes):
    from seqfeed.keras import build_lstm, compile_for_task

    keras.utils.set_random_seed(SEED)
    model = build_lstm("classify", n_features=n_features, n_outputs=n_classes, units=64, seed=SEED)
    compile_for_task(model, "classify")
    model.optimizer.build(model.trainable_variables)
    return model


def _snapshot(model):
    return model.get_weights(), [v.numpy().copy() for v in model.optimizer.variables]


def _restore(model, snap):
    weights, opt = snap
    model.set_weights(weights)
    for v, val in zip(model.optimizer.variables, opt):
        v.assign(val)


def _tracing_count(model):
    """Traces of Keras' compiled train step (a tf.function held in the train_function closure)."""
    fn = getattr(model, "train_function", None)
    cands = [fn] + [c.cell_contents for c in (getattr(fn, "__closure__", None) or ())]
    counts = [c.experimental_get_tracing_count() for c in cands
              if hasattr(c, "experimental_get_tracing_count")]
    return int(sum(counts)) if counts else None


def _make_timer(keras):
    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._t0)

    return EpochTimer


def warm_up(model, strategy, seed=SEED):
    """Trace the train step on 2 batches, then restore the initial weights and optimizer state."""
    snap = _snapshot(model)
    t0 = time.perf_counter()
    model.fit(strategy.make_ds(seed).take(2), epochs=1, verbose=0)
    trace_s = time.perf_counter() - t0
    _restore(model, snap)
    return snap, trace_s


def train_once(model, snap, strategy, keras, epochs, *, seed=SEED):
    """Restore the initial state, train ``epochs`` on a fresh pipeline; times and losses."""
    _restore(model, snap)
    timer = _make_timer(keras)()
    hist = model.fit(strategy.make_ds(seed), epochs=epochs, verbose=0, callbacks=[timer])
    return {"epoch_s": timer.times, "loss": [float(v) for v in hist.history["loss"]],
            "accuracy": [float(v) for v in hist.history.get("sparse_categorical_accuracy", [])],
            "traces": _tracing_count(model)}


def eval_loss(model, seqs):
    from seqfeed.keras import to_tf_dataset

    ds = to_tf_dataset(BatchLoader(seqs, BucketSampler(seqs.lengths, batch_size=BATCH, shuffle=False)))
    loss, acc = model.evaluate(ds, verbose=0)
    return float(loss), float(acc)


def input_only_seconds(strategy, seed=SEED):
    ds = strategy.make_ds(seed)
    shapes = []
    t0 = time.perf_counter()
    for element in ds:
        inputs = element[0]
        shapes.append(tuple(int(d) for d in inputs["x"].shape[:2]))
    return time.perf_counter() - t0, shapes


def plan_only_rows(seqs, epochs) -> list:
    """Padding / loop-step figures of more sampler settings (no training): where the time goes."""
    L = seqs.lengths
    mean, med = float(L.mean()), float(np.median(L))
    rows = []

    def add(name, make):
        st = Strategy(name, name, "", None,
                      lambda e, s, make=make: [(int(b.size), int(L[b].max())) for b in make(s).batches(e)])
        rows.append({"sampler": name, **plan_stats(st, L, epochs)})

    for alpha in (0.5, 2.0, 8.0, 32.0, 65.0):
        add(f"AdaptiveSampler(max_batch_size=64, step_overhead={alpha:g})",
            lambda s, a=alpha: AdaptiveSampler(L, max_batch_size=BATCH, step_overhead=a, seed=s))
    for nb in (8, 16, 32, 64):
        add(f"BucketSampler(batch_size=64, n_buckets={nb})",
            lambda s, nb=nb: BucketSampler(L, batch_size=BATCH, n_buckets=nb, seed=s))
    for label, k, cap in ((f"64 x median = {round(BATCH * med)}", round(BATCH * med), None),
                          (f"64 x mean = {round(BATCH * mean)}", round(BATCH * mean), None),
                          (f"64 x mean = {round(BATCH * mean)}, max_batch_size=64", round(BATCH * mean), 64),
                          (f"128 x mean = {round(128 * mean)}, max_batch_size=128", round(128 * mean), 128),
                          (f"256 x mean = {round(256 * mean)}, max_batch_size=256", round(256 * mean), 256),
                          ("16384 (default)", 16384, None)):
        add(f"TokenBudgetSampler(max_tokens={label})",
            lambda s, k=k, cap=cap: TokenBudgetSampler(L, max_tokens=int(k), max_batch_size=cap, seed=s))
    return rows


def cost_fit(rows) -> dict:
    """Least squares ``s/epoch ~ a * loop_steps + b * padded_steps`` over the measured strategies."""
    A = np.array([[r["loop_steps"], r["padded_steps"]] for r in rows.values()], dtype=float)
    t = np.array([r["s_per_epoch"] for r in rows.values()], dtype=float)
    coef, *_ = np.linalg.lstsq(A, t, rcond=None)
    pred = A @ coef
    return {"ms_per_loop_step": coef[0] * 1e3, "us_per_padded_row_step": coef[1] * 1e6,
            "predicted_s_per_epoch": dict(zip(rows.keys(), pred.tolist())),
            "note": "per LSTM iteration (fixed cost) and per padded (row, step) (cost that grows with the "
                    "batch size), fitted on the medians of this run"}


def run_dataset(key, title, seqs, n_classes, *, epochs, repeats, anchor_repeats, noise_seeds, tf, keras,
                log) -> dict:
    L = seqs.lengths
    strategies = strategies_for(seqs, tf)
    rows = {s.key: {"strategy": s.name, "setting": s.setting, **plan_stats(s, L, epochs), "epoch_s": [],
                    "loss_per_repeat": [], "input_s": [], "train_function_traces": []} for s in strategies}
    log(f"\n{title}: {len(seqs):,} sequences, {seqs.n_features} features, {n_classes} classes, lengths "
        f"{int(L.min())}..{int(L.max())} (median {float(np.median(L)):g}, mean {float(L.mean()):.1f}), "
        f"{epochs} epochs x {repeats} repeats (global: {min(anchor_repeats, repeats)})")
    model = _build(keras, seqs.n_features, n_classes)
    by_key = {s.key: s for s in strategies}
    snap, trace_s = warm_up(model, by_key["seqfeed_bucket"])
    log(f"  one model for every strategy (initial state restored before each run); trace + 2 steps "
        f"{trace_s:.2f} s")
    for r in range(repeats):
        for s in strategies:
            if s.key == "global" and r >= anchor_repeats:
                continue
            row = rows[s.key]
            res = train_once(model, snap, s, keras, epochs)
            row["epoch_s"].extend(res["epoch_s"])
            row["loss_per_repeat"].append(res["loss"][-1])
            row["train_function_traces"].append(res["traces"])
            if r == 0:
                row["loss_curve"] = res["loss"]
                row["accuracy_curve"] = res["accuracy"]
                row["eval_loss"], row["eval_accuracy"] = eval_loss(model, seqs)
            t_in, shapes = input_only_seconds(s)
            row["input_s"].append(t_in)
            if r == 0:
                planned = s.plan(0, SEED)
                if sorted(planned) != sorted(shapes):
                    raise AssertionError(f"{s.key}: planned batch shapes differ from the pipeline's "
                                         f"({len(planned)} vs {len(shapes)} batches)")
            log(f"  repeat {r + 1}/{repeats} {s.name:<16} {s.setting:<30} "
                f"epochs {', '.join(f'{t:.2f}' for t in res['epoch_s'])} s, loss {res['loss'][-1]:.4f}, "
                f"traces {res['traces']}")
    # noise: the anchor (global padding, computed as fixed batches padded per batch) and two seqfeed
    # strategies, each under other sampler seeds
    per_batch = global_strategy(seqs, tf, per_batch=True)
    noise = {}
    for key, strat in (("global", per_batch), ("seqfeed_bucket", by_key["seqfeed_bucket"]),
                       ("seqfeed_adaptive_2", by_key["seqfeed_adaptive_2"])):
        runs = []
        seeds = range(SEED, SEED + noise_seeds + 1) if key == "global" else range(SEED + 1, SEED + noise_seeds + 1)
        if key != "global":
            runs.append({"sampler_seed": SEED, "loss": rows[key]["loss_per_repeat"][0],
                         "eval_loss": rows[key]["eval_loss"]})
        for sd in seeds:
            res = train_once(model, snap, strat, keras, epochs, seed=sd)
            ev, _ = eval_loss(model, seqs)
            runs.append({"sampler_seed": sd, "loss": res["loss"][-1], "eval_loss": ev})
            log(f"  noise run: {strat.name} ({strat.setting}), sampler seed {sd}: loss {res['loss'][-1]:.4f}, "
                f"eval {ev:.4f}")
        losses = [r["loss"] for r in runs]
        evals = [r["eval_loss"] for r in runs]
        noise[key] = {"runs": runs, "train_loss_range": max(losses) - min(losses),
                      "eval_loss_range": max(evals) - min(evals),
                      "train_loss_min": min(losses), "train_loss_max": max(losses),
                      "train_loss_median": statistics.median(losses)}
    noise["global"]["strategy"] = f"{per_batch.name} ({per_batch.setting})"
    noise["global"]["equivalence_delta"] = noise["global"]["runs"][0]["loss"] - rows["global"]["loss_per_repeat"][0]
    noise_range = noise["global"]["train_loss_range"]
    del model
    keras.backend.clear_session()

    g = statistics.median(rows["global"]["epoch_s"])
    t = statistics.median(rows["tfdata_bucket"]["epoch_s"])
    for row in rows.values():
        med = statistics.median(row["epoch_s"])
        row.update({"s_per_epoch": med, "s_min": min(row["epoch_s"]), "s_max": max(row["epoch_s"]),
                    "real_steps_per_s": row["real_steps"] / med, "x_global": g / med, "x_tfdata": t / med,
                    "input_s_median": statistics.median(row["input_s"]),
                    "final_loss": row["loss_per_repeat"][0],
                    "loss_deterministic": len(set(row["loss_per_repeat"])) == 1})
    gl = rows["global"]["final_loss"]
    targets = {}
    for k, row in rows.items():
        if not k.startswith(("seqfeed", "tokens")):
            continue
        targets[k] = {
            "efficiency": row["efficiency"] >= TARGETS["efficiency"],
            "x_global": row["x_global"] >= TARGETS["x_global"],
            "x_tfdata": row["x_tfdata"] >= TARGETS["x_tfdata"],
            "loss_within_noise": abs(row["final_loss"] - gl) <= noise_range,
            "loss_delta_vs_global": row["final_loss"] - gl,
            "loss_inside_global_seed_spread": (noise["global"]["train_loss_min"] <= row["final_loss"]
                                               <= noise["global"]["train_loss_max"]),
        }
    best = min(targets, key=lambda k: rows[k]["s_per_epoch"])
    return {"title": title, "n_sequences": len(seqs), "n_features": seqs.n_features, "n_classes": n_classes,
            "lengths": {"min": int(L.min()), "median": float(np.median(L)), "mean": float(L.mean()),
                        "max": int(L.max()), "total": int(L.sum())},
            "epochs": epochs, "repeats": repeats, "global_repeats": min(anchor_repeats, repeats),
            "trace_s": trace_s, "rows": rows,
            "noise": noise,
            "targets": targets, "fastest_seqfeed": best,
            "all_targets_met_by": [k for k, v in targets.items()
                                   if all(v[c] for c in ("efficiency", "x_global", "x_tfdata", "loss_within_noise"))],
            "cost_model": cost_fit(rows), "plan_only": plan_only_rows(seqs, epochs)}


# ------------------------------------------------------------------------------------ XLA table
def xla_table(seqs, n_classes, *, epochs, noise_seeds, tf, keras, log) -> dict:
    """Total wall time of ``epochs`` epochs per configuration, compile included (see the docstring)."""
    from seqfeed.keras import SequenceModel

    L = seqs.lengths
    tfdata = tfdata_strategy(seqs, tf)
    log(f"\nXLA table: {len(seqs):,} sequences, {epochs} epochs per configuration, a fresh model each "
        f"(trace and XLA compilation included in the totals)")

    def fresh():
        keras.backend.clear_session()
        keras.utils.set_random_seed(SEED)
        return SequenceModel.for_data(seqs, "classify", units=64, seed=SEED)

    def run(key, name, jit, seed=SEED, tf_data=False, fused="auto"):
        sm = fresh()
        timer = _make_timer(keras)()
        c0, t0 = time.process_time(), time.perf_counter()
        if tf_data:
            sm.model.jit_compile = False
            hist = sm.model.fit(tfdata.make_ds(seed), epochs=epochs, verbose=0, callbacks=[timer])
            decision = None
        else:
            hist = sm.fit(seqs, epochs=epochs, batch_size=BATCH, batching="bucket", seed=seed, verbose=0,
                          callbacks=[timer], jit_compile=jit, fused=fused)
            decision = sm.info["compilation"]
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        ep = timer.times
        steady = statistics.median(ep[1:]) if len(ep) > 1 else ep[0]
        n_batches = len(BucketSampler(L, batch_size=BATCH, seed=seed).batches(0))
        ev = sm.evaluate(seqs)["log_loss"]  # the same computation for every configuration
        row = {"key": key, "configuration": name, "jit_compile": bool(decision and decision["jit_compile"]),
               "decision": decision, "sampler_seed": seed, "total_s": total, "cpu_s": cpu,
               "first_epoch_s": ep[0], "steady_s_per_epoch": steady, "batches_per_epoch": n_batches,
               "steady_ms_per_step": 1e3 * steady / n_batches,
               "compile_s": max(ep[0] - steady, 0.0), "epoch_s": ep, "final_loss": float(hist.history["loss"][-1]),
               "eval_loss": float(ev), "loss_curve": [float(v) for v in hist.history["loss"]],
               "load_average_after": [round(x, 2) for x in os.getloadavg()]}
        log(f"  {name:<58} total {total:7.1f} s (cpu {cpu:6.1f} s), first epoch {ep[0]:6.1f} s, then "
            f"{steady:5.2f} s/epoch, loss {row['final_loss']:.4f}, eval {ev:.4f}")
        if decision is not None and decision.get("why"):
            log(f"      compilation: {decision['why']}")
        return row

    rows = {}
    rows["today"] = run("today", "today's default (BucketSampler 64, per-batch padding, Keras loop)", False,
                        fused=False)
    rows["tfdata"] = run("tfdata", "tf.data bucket_by_sequence_length from a RaggedTensor", False, tf_data=True)
    rows["seqfeed_default"] = run("seqfeed_default", "seqfeed default: fit() (fused LSTM kernel or XLA, auto)",
                                  "auto")
    if not rows["seqfeed_default"]["jit_compile"]:
        rows["xla_forced"] = run("xla_forced", "XLA forced: fit(jit_compile=True)", True)
    noise, noise_eval = [rows["today"]["final_loss"]], [rows["today"]["eval_loss"]]
    for sd in range(SEED + 1, SEED + noise_seeds + 1):
        r = run(f"today_seed{sd}", f"today's default, sampler seed {sd} (loss noise)", False, seed=sd, fused=False)
        noise.append(r["final_loss"])
        noise_eval.append(r["eval_loss"])
    spread, spread_eval = max(noise) - min(noise), max(noise_eval) - min(noise_eval)
    today, tfd = rows["today"]["total_s"], rows["tfdata"]["total_s"]
    for r in rows.values():
        r["x_today"] = today / r["total_s"]
        r["x_tfdata"] = tfd / r["total_s"]
        r["x_today_cpu"] = rows["today"]["cpu_s"] / r["cpu_s"]
        r["loss_delta_vs_today"] = r["final_loss"] - rows["today"]["final_loss"]
        r["eval_delta_vs_today"] = r["eval_loss"] - rows["today"]["eval_loss"]
        r["loss_within_noise"] = abs(r["loss_delta_vs_today"]) <= spread + 1e-12
        r["eval_within_noise"] = abs(r["eval_delta_vs_today"]) <= spread_eval + 1e-12
    head = (f"{'configuration':<58}{'total s':>9}{'cpu s':>8}{'compile s':>10}{'s/epoch':>9}{'ms/step':>9}"
            f"{'loss':>8}{'eval':>8}{'x today':>9}{'x tf.data':>10}")
    log("")
    log(head)
    log("-" * len(head))
    for r in rows.values():
        log(f"{r['configuration']:<58}{r['total_s']:>9.1f}{r['cpu_s']:>8.1f}{r['compile_s']:>10.1f}"
            f"{r['steady_s_per_epoch']:>9.2f}{r['steady_ms_per_step']:>9.1f}{r['final_loss']:>8.4f}"
            f"{r['eval_loss']:>8.4f}{r['x_today']:>8.2f}x{r['x_tfdata']:>9.2f}x")
    log(f"loss over sampler seeds 0..{noise_seeds} of today's default: train {', '.join(f'{v:.4f}' for v in noise)} "
        f"(spread {spread:.4f}); eval {', '.join(f'{v:.4f}' for v in noise_eval)} (spread {spread_eval:.4f})")
    d = rows["seqfeed_default"]
    log(f"targets: seqfeed default {d['x_today']:.2f}x today's default [>= 2: "
        f"{'met' if d['x_today'] >= 2 else 'missed'}], {d['x_tfdata']:.2f}x tf.data [>= 3: "
        f"{'met' if d['x_tfdata'] >= 3 else 'missed'}]; eval loss {d['eval_delta_vs_today']:+.4f} vs today's "
        f"({'within' if d['eval_within_noise'] else 'outside'} the seed spread {spread_eval:.4f}); final train "
        f"loss {d['loss_delta_vs_today']:+.4f} ({'within' if d['loss_within_noise'] else 'outside'} the spread "
        f"{spread:.4f}; with XLA the reported loss weighs a bucket's short last batch like a full one)")
    return {"n_sequences": len(seqs), "epochs": epochs, "batch_size": BATCH, "decision": d["decision"],
            "rows": rows, "noise_losses": noise, "noise_spread": spread, "noise_eval_losses": noise_eval,
            "noise_eval_spread": spread_eval,
            "step_cost_model": "seqfeed/batching/_shapes.py (STEP_MS, BOUNDED_PAD_MS, COMPILE_S_PER_SHAPE)"}


# ------------------------------------------------------------------------------------ output
def print_table(res, log):
    rows = res["rows"]
    head = (f"{'strategy':<16}{'setting':<32}{'s/epoch':>8}{'min-max':>14}{'real steps/s':>13}"
            f"{'eff':>7}{'batches':>8}{'loop steps':>11}{'input s':>8}{'loss':>8}{'eval':>8}{'x global':>9}")
    log("")
    log(f"{res['title']}: {res['n_sequences']:,} sequences, {res['epochs']} epochs x {res['repeats']} repeats "
        f"(global {res['global_repeats']}); s/epoch = median over timed epochs, trace excluded "
        f"({res['trace_s']:.1f} s)")
    log(head)
    log("-" * len(head))
    for row in rows.values():
        log(f"{row['strategy']:<16}{row['setting']:<32}{row['s_per_epoch']:>8.2f}"
            f"{row['s_min']:>7.2f}-{row['s_max']:<6.2f}{row['real_steps_per_s']:>13,.0f}"
            f"{row['efficiency']:>7.3f}{row['batches']:>8,}{row['loop_steps']:>11,.0f}{row['input_s_median']:>8.2f}"
            f"{row['final_loss']:>8.4f}{row['eval_loss']:>8.4f}{row['x_global']:>8.2f}x")
    for key, n in res["noise"].items():
        who = "global padding, computed per batch" if key == "global" else key
        losses = ", ".join(f"{r['loss']:.4f}" for r in n["runs"])
        seeds = ", ".join(str(r["sampler_seed"]) for r in n["runs"])
        log(f"loss over sampler seeds {seeds} ({who}): train {losses} (range {n['train_loss_range']:.4f}); "
            f"eval range {n['eval_loss_range']:.4f}")
    n = res["noise"]["global"]
    log(f"per-batch padding reproduces global padding's loss (seed {SEED}): difference {n['equivalence_delta']:+.2e}")
    det = all(r["loss_deterministic"] for r in rows.values())
    log(f"same loss in every repeat: {'yes' if det else 'NO'}")
    best = res["fastest_seqfeed"]
    t = res["targets"][best]
    b = rows[best]
    log(f"fastest seqfeed strategy: {b['strategy']} ({b['setting']}): eff {b['efficiency']:.3f} "
        f"[{'met' if t['efficiency'] else 'missed'} >= {TARGETS['efficiency']}], "
        f"{b['x_global']:.2f}x global [{'met' if t['x_global'] else 'missed'} >= {TARGETS['x_global']}], "
        f"{b['x_tfdata']:.2f}x tf.data [{'met' if t['x_tfdata'] else 'missed'} >= {TARGETS['x_tfdata']}], "
        f"loss - global {t['loss_delta_vs_global']:+.4f} "
        f"[{'within' if t['loss_within_noise'] else 'outside'} global padding's seed noise {n['train_loss_range']:.4f}]")
    log(f"seqfeed strategies meeting all four targets: {', '.join(res['all_targets_met_by']) or 'none'}")


def _machine_info(tf, keras) -> dict:
    return {**machine_facts(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


# ------------------------------------------------------------------------------------ main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="512 synthetic sequences, 1 repeat, 1 epoch (< 60 s)")
    p.add_argument("--repeats", type=int, default=None, help="training runs per strategy (default 3; quick 1)")
    p.add_argument("--epochs", type=int, default=None, help="timed epochs per run (default 2; quick 1)")
    p.add_argument("--jv-epochs", type=int, default=None,
                   help="timed epochs on JapaneseVowels, whose epochs are ~0.1 s (default 10; quick 2)")
    p.add_argument("--anchor-repeats", type=int, default=2,
                   help="repeats of the slow global-padding anchor (default 2, at most --repeats)")
    p.add_argument("--noise-seeds", type=int, default=None,
                   help="extra sampler seeds for the loss-noise runs (default 4; quick 1)")
    p.add_argument("--out", type=Path, default=None,
                   help="JSON results file (default benchmarks/results/training.json)")
    p.add_argument("--xla-only", action="store_true", help="only the XLA table (writes training_xla.json)")
    p.add_argument("--no-xla", action="store_true", help="skip the XLA table")
    p.add_argument("--xla-n", type=int, default=None, help="sequences in the XLA table (default 2048; quick 256)")
    p.add_argument("--xla-epochs", type=int, default=None, help="epochs in the XLA table (default 20; quick 3)")
    args = p.parse_args(argv)
    q = args.quick
    repeats = args.repeats if args.repeats is not None else (1 if q else 3)
    epochs = args.epochs if args.epochs is not None else (1 if q else 2)
    jv_epochs = args.jv_epochs if args.jv_epochs is not None else (2 if q else 10)
    noise_seeds = args.noise_seeds if args.noise_seeds is not None else (1 if q else 4)
    if min(repeats, epochs, jv_epochs, args.anchor_repeats, noise_seeds) < 1:
        p.error("--repeats, --epochs, --jv-epochs, --anchor-repeats and --noise-seeds must be >= 1")

    t_start = time.perf_counter()
    import keras
    import tensorflow as tf

    info = _machine_info(tf, keras)
    lines = []

    def log(s=""):
        print(s, flush=True)
        lines.append(s)

    log(f"seqfeed {info['seqfeed']}, numpy {info['numpy']}, tensorflow {info['tensorflow']}, keras "
        f"{info['keras']}, {info['cpu_count']} CPUs, mode {'quick' if q else 'full'}, "
        f"load {info['load_average_at_start']}")

    datasets = {}
    xla = None
    if not args.no_xla:
        xla_n = args.xla_n or (256 if q else 2048)
        xla = xla_table(make_synthetic(xla_n, np.random.default_rng(DATA_SEED)), 4,
                        epochs=args.xla_epochs or (3 if q else 20), noise_seeds=min(noise_seeds, 2), tf=tf, keras=keras,
                        log=log)
    if args.xla_only:
        return _write(args, q, info, lines, t_start, {"benchmark": "training_xla", "xla": xla}, "training_xla.json",
                      argv)
    n_syn = 512 if q else 4096
    syn = make_synthetic(n_syn, np.random.default_rng(DATA_SEED))
    jv, jv_source = load_japanese_vowels()
    datasets["synthetic"] = run_dataset(
        "synthetic", "(a) synthetic long-tailed (log-normal lengths, median 60, sigma 0.9)", syn, 4,
        epochs=epochs, repeats=repeats, anchor_repeats=args.anchor_repeats, noise_seeds=noise_seeds, tf=tf,
        keras=keras, log=log)
    datasets["japanese_vowels"] = run_dataset(
        "japanese_vowels", "(b) JapaneseVowels train", jv, int(np.max(jv.targets)) + 1,
        epochs=jv_epochs, repeats=repeats, anchor_repeats=args.anchor_repeats, noise_seeds=noise_seeds, tf=tf,
        keras=keras, log=log)
    datasets["japanese_vowels"]["source"] = jv_source
    for res in datasets.values():
        print_table(res, log)

    return _write(args, q, info, lines, t_start, {
        "benchmark": "training",
        "repeats": repeats,
        "epochs": {"synthetic": epochs, "japanese_vowels": jv_epochs},
        "batch_size": BATCH,
        "model": "seqfeed.keras.build_lstm('classify', units=64, seed=0) + compile_for_task (Adam 1e-3, clipnorm 1)",
        "protocol": __doc__.split("Protocol, ")[1].split("\n\nDerived")[0].replace("\n", " "),
        "targets": TARGETS,
        "datasets": datasets,
        "xla": xla,
    }, "training.json", argv)


def _write(args, quick, info, lines, t_start, doc, name, argv) -> int:
    from _machine import command_line, results_path

    total_s = time.perf_counter() - t_start
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    doc = {**doc, "mode": "quick" if quick else "full", "command": command_line("bench_training.py", argv),
           "machine": info, "total_wall_s": total_s, "printed": lines}
    out = results_path(name, quick=quick, out=args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\ntotal {total_s:.1f} s; results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
