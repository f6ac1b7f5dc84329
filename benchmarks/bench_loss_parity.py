"""Does efficient batching change what the model learns? Final losses after longer training.

``bench_training.py`` times 2 epochs; after 2 epochs the loss still falls steeply and
mostly counts optimiser steps (the adaptive sampler takes 85 steps per epoch where
fixed batches of 64 take 64). This script trains the same LSTM(64) classifier on
the same synthetic long-tailed set (4,096 sequences, log-normal lengths, median 60)
for ``--epochs`` (default 8; the committed results used 6) epochs under

* global padding, computed as fixed random batches of 64 padded per batch (with the
  mask as input this is the same computation as padding to the global maximum:
  ``bench_training.py`` checks that the losses agree), the anchor;
* seqfeed bucket (batches of 64, 8 buckets);
* seqfeed adaptive, the default (<= 64 rows, overhead 2);

each with sampler seeds 0..``--seeds``-1 and identical initial weights, and prints the
final training loss (Keras' per-batch mean over the last epoch) and the loss over
the whole training set (``eval``, computed identically for every strategy), their
spread over seeds, and whether each strategy is within noise: its median differs
from the anchor's by no more than the anchor's own spread over seeds. Writes ``benchmarks/results/loss_parity.json``.

Usage::

    python benchmarks/bench_loss_parity.py               # 8 epochs x 3 seeds (~15 min on 2 cores)
    python benchmarks/bench_loss_parity.py --quick       # 512 sequences, 2 epochs, 2 seeds
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

import bench_training as bt
from _machine import machine_facts
from seqfeed import AdaptiveSampler, BucketSampler


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="512 sequences, 2 epochs, 2 seeds (< 1 minute)")
    p.add_argument("--epochs", type=int, default=None, help="epochs per run (default 8; quick 2)")
    p.add_argument("--seeds", type=int, default=None, help="sampler seeds per strategy (default 3; quick 2)")
    p.add_argument("--n", type=int, default=None, help="synthetic sequences (default 4096; quick 512)")
    p.add_argument("--out", type=Path, default=None,
                   help="JSON results (default results/loss_parity.json; --quick: results/quick/)")
    args = p.parse_args(argv)
    from _machine import results_path

    args.out = results_path("loss_parity.json", quick=args.quick, out=args.out)
    q = args.quick
    args.epochs = args.epochs or (2 if q else 8)
    args.seeds = args.seeds or (2 if q else 3)
    args.n = args.n or (512 if q else 4096)
    import keras
    import tensorflow as tf

    seqs = bt.make_synthetic(args.n, np.random.default_rng(bt.DATA_SEED))
    L = seqs.lengths
    strategies = [
        bt.global_strategy(seqs, tf, per_batch=True),
        bt.seqfeed_strategy(seqs, tf, "seqfeed_bucket", "seqfeed bucket", "batch 64, 8 buckets",
                            lambda s: BucketSampler(L, batch_size=bt.BATCH, seed=s)),
        bt.seqfeed_strategy(seqs, tf, "seqfeed_adaptive_2", "seqfeed adaptive", "<= 64 rows, overhead 2 (default)",
                            lambda s: AdaptiveSampler(L, max_batch_size=bt.BATCH, step_overhead=2.0, seed=s)),
    ]
    model = bt._build(keras, seqs.n_features, 4)
    snap, _ = bt.warm_up(model, strategies[1])
    t0 = time.perf_counter()
    rows = {}
    print(f"{len(seqs):,} sequences, {args.epochs} epochs, sampler seeds 0..{args.seeds - 1}; same initial weights")
    for s in strategies:
        runs = []
        for seed in range(args.seeds):
            res = bt.train_once(model, snap, s, keras, args.epochs, seed=seed)
            ev, acc = bt.eval_loss(model, seqs)
            runs.append({"seed": seed, "loss": res["loss"][-1], "eval_loss": ev, "eval_accuracy": acc,
                         "loss_curve": res["loss"], "batches": len(s.plan(0, seed)),
                         "s_per_epoch": statistics.median(res["epoch_s"])})
            print(f"  {s.name:<17}{s.setting:<36} seed {seed}: loss {res['loss'][-1]:.4f}  eval {ev:.4f}  "
                  f"acc {acc:.3f}  ({statistics.median(res['epoch_s']):.1f} s/epoch)", flush=True)
        losses, evals = [r["loss"] for r in runs], [r["eval_loss"] for r in runs]
        rows[s.key] = {"strategy": s.name, "setting": s.setting, "runs": runs,
                       "loss_median": statistics.median(losses), "loss_min": min(losses), "loss_max": max(losses),
                       "eval_median": statistics.median(evals), "eval_min": min(evals), "eval_max": max(evals)}
    g = rows["global_per_batch"]
    g_loss_range, g_eval_range = g["loss_max"] - g["loss_min"], g["eval_max"] - g["eval_min"]
    print(f"\n{'strategy':<17}{'setting':<36}{'loss median':>12}{'min-max':>16}{'eval median':>12}{'min-max':>16}"
          f"  within noise: |median - global's| <= global's seed range (loss {g_loss_range:.4f}, eval "
          f"{g_eval_range:.4f}); same seed 0")
    for k, r in rows.items():
        r["loss_delta_vs_global"] = r["loss_median"] - g["loss_median"]
        r["eval_delta_vs_global"] = r["eval_median"] - g["eval_median"]
        r["loss_within_noise"] = abs(r["loss_delta_vs_global"]) <= g_loss_range
        r["eval_within_noise"] = abs(r["eval_delta_vs_global"]) <= g_eval_range
        r["seed0_loss_delta_vs_global"] = r["runs"][0]["loss"] - g["runs"][0]["loss"]
        verdict = "-" if k == "global_per_batch" else (
            f"loss {'yes' if r['loss_within_noise'] else 'no'} ({r['loss_delta_vs_global']:+.4f}), "
            f"eval {'yes' if r['eval_within_noise'] else 'no'} ({r['eval_delta_vs_global']:+.4f}); "
            f"seed 0 loss {r['seed0_loss_delta_vs_global']:+.4f}")
        print(f"{r['strategy']:<17}{r['setting']:<36}{r['loss_median']:>12.4f}{r['loss_min']:>8.4f}-{r['loss_max']:<7.4f}"
              f"{r['eval_median']:>12.4f}{r['eval_min']:>8.4f}-{r['eval_max']:<7.4f}  {verdict}")
    doc = {"benchmark": "loss_parity", "mode": "quick" if q else "full", "command": "python benchmarks/bench_loss_parity.py " + " ".join(argv or sys.argv[1:]),
           "epochs": args.epochs, "seeds": args.seeds, "n_sequences": len(seqs),
           "machine": {**machine_facts(), "tensorflow": tf.__version__, "keras": keras.__version__},
           "total_wall_s": time.perf_counter() - t0, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"results written to {args.out.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
