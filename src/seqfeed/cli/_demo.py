"""``seqfeed demo``: two real datasets, end to end, in a few minutes on a laptop CPU."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

JV_REFERENCE = ("published plain LSTM 0.797, 1-NN DTW 0.949, ROCKET 0.962")


def run_demo(args) -> int:
    from . import build_parser
    from ._train import run_train

    out = Path(args.out)
    quiet = ["--quiet"] if args.quiet else []
    quiet += ["--force"]  # a second demo replaces the models the first one wrote (and nothing else)
    runs = [
        ("JapaneseVowels (speaker classification, 12 LPC features, lengths 7-29)", out / "japanese_vowels",
         ["train", "japanese_vowels", "--task", "classify", "--out", str(out / "japanese_vowels"),
          "--seed", "0"] + quiet),  # default settings
        ("Sunspots (yearly 1700-2008, forecast the next year; test = final 30 years)", out / "sunspots",
         ["train", "sunspots", "--task", "forecast", "--out", str(out / "sunspots"), "--window", "24",
          "--horizon", "1", "--test-size", "30", "--units", "32", "--lr", "3e-3", "--batch", "16",
          "--epochs", "120", "--patience", "20", "--dropout", "0.0", "--seed", "0"] + quiet),
    ]
    t0 = time.time()
    results = {}
    for title, where, argv in runs:
        print(f"\n== {title}", flush=True)
        code = run_train(build_parser().parse_args(argv))
        if code:
            return code
        results[where.name] = json.loads((where / "metrics.json").read_text())
    print("\n== seqfeed demo results")
    print(summary_lines(results["japanese_vowels"], results["sunspots"]))
    print(f"models, metrics, plots and model cards in {out}/ ({time.time() - t0:.0f} s in all)")
    sys.stdout.flush()
    return 0


def summary_lines(jv: dict, ss: dict) -> str:
    """The demo's results from the two runs' metrics. The JapaneseVowels baseline is the one its run
    printed and put in its card (``metrics["baseline"]``), so the same figure appears everywhere."""
    b = jv.get("baseline") or {}
    base = (f"; the run's baseline here, {b['name']}, {b['accuracy']:.3f}" if b.get("accuracy") is not None
            else "")
    better = "beats" if ss["mae"] < ss["naive_mae"] else "does NOT beat"
    return (f"JapaneseVowels test accuracy {jv['accuracy']:.3f} (macro-F1 {jv['macro_f1']:.3f}); "
            f"reference points: {JV_REFERENCE}{base}\n"
            f"Sunspots MAE over the final 30 years {ss['mae']:.2f} vs naive last-value {ss['naive_mae']:.2f}: "
            f"the LSTM {better} the naive forecast ({ss['mae'] / ss['naive_mae']:.2f}x its error)")
