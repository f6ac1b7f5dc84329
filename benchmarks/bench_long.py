"""Long sequences: test accuracy and training time of each input restructuring, and of `--frame auto`.

Runs ``seqfeed train`` (in this process, exactly as the command line does) on

* ACSF1 (100 train / 100 test, univariate appliance power, length 1,460, 10
  classes; files in ``benchmarks/data/``, source and licence in its SOURCES.md):
  a plain LSTM on the raw steps, each restructuring forced with ``--frame``, and
  the automatic choice (the default);
* JapaneseVowels (bundled; lengths 7-29): the automatic choice against
  ``--frame none``, to show that it does not hurt short sequences.

Anchors printed in the table: 1-NN Euclidean on ACSF1 0.54 (computed by this
script on the same files), 1-NN on per-sequence summary features (from the
model card), and the published 1-NN DTW (about 0.64).

Usage::

    python benchmarks/bench_long.py            # every configuration, 2 seeds, 40 epochs each
    python benchmarks/bench_long.py --quick    # the automatic choice only, 12 epochs (a few minutes on 2 cores)

Equal budgets: every configuration of a table trains the same number of epochs
(``--epochs``, passed to every run) with the same seeds, so the plain LSTM is not
compared at 15 epochs against others at their automatic epoch count.

Writes ``benchmarks/results/long.json`` (``--quick``: ``benchmarks/results/quick/long.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DEFAULT_OUT = HERE / "results" / "long.json"


def one_nn_euclidean(train, test) -> float:
    a = np.stack([np.asarray(s)[:, 0] for s in train])
    b = np.stack([np.asarray(s)[:, 0] for s in test])
    d = (b * b).sum(1)[:, None] - 2 * b @ a.T + (a * a).sum(1)[None, :]
    return float(np.mean(np.asarray(train.targets)[np.argmin(d, 1)] == np.asarray(test.targets)))


def run_train(argv: list[str]) -> dict:
    from seqfeed.cli import main

    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "model"
        err = io.StringIO()
        t0 = time.time()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv + ["--out", str(out), "--quiet"])
        wall = time.time() - t0
        if code:
            raise SystemExit(f"seqfeed train failed ({code}): {err.getvalue()[-2000:]}")
        metrics = json.loads((out / "metrics.json").read_text())
        meta = json.loads((out / "seqfeed.json").read_text())
    choice = meta["info"]["choice"]
    return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "wall_s": wall,
            "fit_s": metrics["fit_seconds"], "epochs_run": metrics["epochs_run"],
            "chosen": choice["restructure"]["chosen"], "scaling": choice["normalize"]["chosen"],
            "candidates": choice.get("candidates", []),
            "baseline_1nn_summary": metrics.get("baseline_1nn_summary_accuracy")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer configurations, epochs and seeds")
    p.add_argument("--seeds", type=int, default=None, help="seeds per configuration (default 2; quick 1)")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs of every configuration (default 40; quick 12): equal budgets")
    p.add_argument("--out", type=Path, default=None,
                   help="JSON results (default results/long.json; --quick: results/quick/long.json)")
    args = p.parse_args(argv)
    from _machine import command_line, machine_facts, results_path

    args.out = results_path("long.json", quick=args.quick, out=args.out)
    seeds = args.seeds or (1 if args.quick else 2)
    budget = args.epochs or (12 if args.quick else 40)
    from seqfeed.sources import read_ts

    train_f, test_f = DATA / "acsf1_train.ts.gz", DATA / "acsf1_test.ts.gz"
    nn = one_nn_euclidean(read_ts(train_f), read_ts(test_f))
    base = ["train", str(train_f), "--task", "classify", "--test", str(test_f)]
    epochs = ["--epochs", str(budget)]  # the same for every configuration
    configs = [("automatic (default: --frame auto)", [])]
    if not args.quick:
        configs += [("plain LSTM on raw steps (--frame none)", ["--frame", "none"]),
                    ("frames of 23 (--frame frame:23)", ["--frame", "frame:23"]),
                    ("frame summaries (--frame summary:23)", ["--frame", "summary:23"]),
                    ("mean pooling (--frame pool:23)", ["--frame", "pool:23"]),
                    ("Conv1D front-end (--frame conv:23)", ["--frame", "conv:23"])]
    rows = []
    print(f"ACSF1: 1-NN Euclidean {nn:.3f} (published 1-NN DTW ~0.64); {seeds} seed(s) per configuration")
    print(f"{'configuration':<42}{'accuracy':>9}{'min-max':>13}{'wall s':>8}{'fit s':>7}  chosen")
    for name, extra in configs:
        n_seeds = seeds  # the same seeds for every configuration
        res = [run_train(base + extra + epochs + ["--seed", str(s)]) for s in range(n_seeds)]
        accs = [r["accuracy"] for r in res]
        row = {"dataset": "ACSF1", "configuration": name, "args": extra, "accuracy_median": statistics.median(accs),
               "accuracies": accs, "wall_s_median": statistics.median(r["wall_s"] for r in res),
               "fit_s_median": statistics.median(r["fit_s"] for r in res), "runs": res}
        rows.append(row)
        print(f"{name:<42}{row['accuracy_median']:>9.3f}{min(accs):>6.2f}-{max(accs):<6.2f}"
              f"{row['wall_s_median']:>8.0f}{row['fit_s_median']:>7.0f}  {res[0]['chosen']}", flush=True)
    jv = []
    jv_epochs = ["--epochs", str(budget)]
    for name, extra in (("automatic (default)", []), ("--frame none", ["--frame", "none"])):
        res = [run_train(["train", "japanese_vowels", "--task", "classify"] + extra + jv_epochs
                         + ["--seed", str(s)]) for s in range(seeds)]
        accs = [r["accuracy"] for r in res]
        jv.append({"dataset": "JapaneseVowels", "configuration": name, "accuracy_median": statistics.median(accs),
                   "accuracies": accs, "wall_s_median": statistics.median(r["wall_s"] for r in res),
                   "chosen": res[0]["chosen"]})
    print("\nJapaneseVowels (default model settings)")
    for r in jv:
        print(f"{r['configuration']:<42}{r['accuracy_median']:>9.3f}{'':>13}{r['wall_s_median']:>8.0f}       "
              f"{r['chosen']}")
    import tensorflow as tf

    doc = {"benchmark": "long_sequences", "mode": "quick" if args.quick else "full", "seeds": seeds,
           "epochs_per_configuration": budget, "command": command_line("bench_long.py", argv),
           "acsf1_1nn_euclidean": nn, "acsf1": rows, "japanese_vowels": jv,
           "machine": {**machine_facts(), "tensorflow": tf.__version__}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nresults written to {args.out.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
