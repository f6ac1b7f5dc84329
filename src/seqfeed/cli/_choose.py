"""Automatic choices of ``seqfeed train``: log transform, normalisation and restructuring.

Candidates are scored on the validation split (never the test split) with short
training runs, within a time budget; every score is written into the model card.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..transforms import Restructure
from ._tasks import build_scaler, needs_log

LONG = 200  # median length above which sequences count as long


def msconv_size(median_len: float) -> int:
    """Stride of the multi-scale Conv1D front-end: ~64 LSTM steps per sequence (as the coarse frames)."""
    return max(2, int(math.ceil(median_len / 64)))


def restructure_candidates(median_len: float) -> list[Restructure]:
    """Restructurings worth trying for sequences of this median length, in the order they are tried.

    The learned multi-scale Conv1D front-end comes first: the search stops at its time budget, and
    a budget spent on the fixed restructurings first never reached it.
    """
    if median_len <= LONG:
        return [Restructure()]
    k = max(2, int(math.ceil(median_len / 64)))  # ~64 LSTM steps per sequence
    k2 = max(2, int(math.ceil(median_len / 128)))  # ~128 steps, finer frames
    out = [Restructure("msconv", msconv_size(median_len)), Restructure("frame", k)]
    if k2 != k:
        out.append(Restructure("frame", k2))
    return out + [Restructure("summary", k), Restructure("conv", k), Restructure("pool", k)]


def _score(sm, val, task) -> tuple[float, float]:
    """Higher is better: (accuracy, -log loss) for classification, accuracy for tagging, -MAE otherwise.

    With a small validation split accuracies tie often; the log loss breaks the tie.
    """
    res = sm.evaluate(val)
    if task == "classify":
        return res["accuracy"], -res["log_loss"]
    if task == "tag":
        return res["accuracy"], 0.0
    if task == "regress":
        return -res["mae"], 0.0
    raise AssertionError(task)


def _forecast_score(sm, plan, scaler) -> tuple[float, float]:
    from .. import metrics as M
    from ._tasks import unscale_targets

    pred = unscale_targets(scaler, np.asarray(sm.predict_raw(plan.val_for_model(scaler))), plan)
    return -M.mae(plan.val_y, pred), 0.0


def choose_setup(plan, args, *, say) -> dict:
    from ..keras import SequenceModel

    task = args.task
    train_steps = plan.scaler_data()
    report = {"median_length": float(np.median(plan.train.lengths))}

    # 1. log transform for magnitudes spanning orders of magnitude
    if args.log_transform == "auto":
        log = needs_log(np.asarray(train_steps.values))
        report["log_transform"] = {"chosen": log, "why": "feature magnitudes span orders of magnitude "
                                   "(99th percentile / median of |x| > 100)" if log else
                                   "magnitudes are within two orders of magnitude"}
    else:
        log = args.log_transform == "yes"
        report["log_transform"] = {"chosen": log, "why": "forced by --log-transform"}

    # 2. the long-sequence recipe: bidirectional layers, pooling over real steps, random crops
    long = report["median_length"] > LONG and task != "forecast"
    model = {
        "bidirectional": long if args.bidirectional is None else args.bidirectional,
        "pooling": ("mean+max" if long else "last") if args.pooling == "auto" else args.pooling,
        # frames of raw readings: dropping single readings fabricates spikes (ACSF1: 0.83-0.86 without
        # dropout vs 0.78-0.80 with 0.1, weights averaged; see benchmarks/bench_long.py)
        "dropout": (0.0 if long else 0.1) if args.dropout is None else args.dropout,
        # random crops did not help on ACSF1 (0.615 vs 0.665 with frames of 10): off unless asked for
        "crop": None if args.crop is None or args.crop >= 1 else args.crop,
    }
    report["model"] = {**model, "why": (f"median length {report['median_length']:g} > {LONG}: events can sit "
                                        f"anywhere in a long sequence, so both directions and mean+max pooling "
                                        f"over real steps, and no input dropout (defaults for long data)")
                       if long else "defaults for short sequences (or as given by flags)"}

    # 3. candidates
    if args.frame == "auto":
        restructs = restructure_candidates(report["median_length"] or 0)
        why_r = (f"median length {report['median_length']:g} <= {LONG}: one raw step per LSTM step"
                 if restructs == [Restructure()] else
                 f"median length {report['median_length']:g} > {LONG}: long for an LSTM; candidates scored "
                 f"on validation")
    else:
        restructs = [Restructure.parse(args.frame)]
        why_r = "forced by --frame"
    if task == "forecast":
        norms = ["global"] if args.normalize == "auto" else [args.normalize]
        why_n = "forecasting scales with training-period statistics" if args.normalize == "auto" else \
            "forced by --normalize"
        if norms == ["per_sequence"]:
            norms, why_n = ["global"], "per-sequence scaling is not used for forecasting (targets need one scale)"
    elif args.normalize == "auto":
        norms = ["global", "per_sequence"]
        why_n = "global (keeps amplitude) vs per-sequence z-normalisation, scored on validation"
    else:
        norms, why_n = [args.normalize], "forced by --normalize"

    candidates = [(r, norms[0]) for r in restructs]
    scores = []
    chosen_r, chosen_n = restructs[0], norms[0]
    if len(candidates) > 1 or len(norms) > 1:
        budget = args.time_budget or _default_budget(plan, len(candidates) + len(norms) - 1)
        short = max(4, min(args.epochs // 4, 15))
        t0 = time.time()

        def trial(r, n):
            scaler = build_scaler(train_steps, n, log)
            sm = SequenceModel.for_data(task, plan.train_for_model(scaler), units=args.units, layers=args.layers,
                                        bidirectional=model["bidirectional"], dropout=model["dropout"],
                                        cell=args.cell, pooling=model["pooling"] if task != "forecast" else "last",
                                        learning_rate=args.lr, seed=args.seed, restructure=r)
            sm.scaler = scaler if task != "forecast" else None
            t = time.time()
            sm.fit(plan.train_for_model(scaler), epochs=short, batch_size=args.batch, batching=args.batching,
                   max_tokens=args.max_tokens, seed=args.seed, verbose=0, crop=model["crop"])
            sc = _forecast_score(sm, plan, scaler) if task == "forecast" else _score(sm, plan.val, task)
            rec = {"restructure": r.describe(), "spec": str(r), "normalize": n, "val_score": round(sc[0], 4),
                   **({"val_log_loss": round(-sc[1], 4)} if task == "classify" else {}),
                   "seconds": round(time.time() - t, 1), "epochs": short}
            scores.append(rec)
            say(f"  candidate {r.describe()}, {n} scaling: validation "
                f"{'accuracy' if task in ('classify', 'tag') else '-MAE'} {sc[0]:.4f}"
                + (f", log loss {-sc[1]:.4f}" if task == "classify" else "") + f" ({rec['seconds']}s)")
            return sc

        say(f"choosing the input structure on the validation split ({short} epochs per candidate, "
            f"budget {budget:.0f}s)")
        best = (-math.inf, -math.inf)
        for r, n in candidates:
            if time.time() - t0 > budget and scores:
                scores.append({"restructure": r.describe(), "spec": str(r), "normalize": n,
                               "val_score": None, "skipped": "time budget"})
                continue
            sc = trial(r, n)
            if sc > best:
                best, chosen_r = sc, r
        for n in norms[1:]:
            if time.time() - t0 > budget and scores:
                scores.append({"restructure": chosen_r.describe(), "spec": str(chosen_r), "normalize": n,
                               "val_score": None, "skipped": "time budget"})
                continue
            sc = trial(chosen_r, n)
            if sc > best:
                best, chosen_n = sc, n
    report["restructure"] = {"chosen": chosen_r.describe(), "spec": str(chosen_r), "why": why_r}
    report["normalize"] = {"chosen": chosen_n, "why": why_n}
    report["candidates"] = scores
    if task != "forecast":
        L = plan.train.lengths
        report["steps_after_restructure"] = {
            "median": float(np.median(chosen_r.steps(L)))}
    scaler = build_scaler(train_steps, chosen_n, log)
    say(f"input: {chosen_r.describe()}; scaling: {chosen_n}"
        + (" after sign(x)*log1p(|x|)" if log else ""))
    return {"scaler": scaler, "restructure": chosen_r, "report": report, "model": model}


SMALL = 1000  # training sequences below which the defaults switch to the small-data recipe
MIN_STEPS = 1000  # optimiser steps a small data set gets at least (epochs * batches per epoch)


def choose_training(plan, args) -> dict:
    """Batch size, epochs and refitting, resolved from the flags and the size of the training data."""
    n_train = len(plan.train) if plan.kind == "sequences" else len(plan.train_X)
    n_all = n_train + (len(plan.val) if plan.kind == "sequences" else len(plan.val_X))
    small = n_all < SMALL
    out = {"n_train": n_train, "n_train_and_val": n_all}
    if args.batch is None:
        out["batch"] = 16 if small else 32
        out["batch_why"] = (f"{n_all} < {SMALL} training sequences: small batches give more optimiser steps"
                            if small else "default")
    else:
        out["batch"], out["batch_why"] = args.batch, "forced by --batch"
    if args.refit == "auto":
        refit = small and plan.kind == "sequences"
        why = (f"{n_all} < {SMALL} training sequences: a validation split of {n_all - n_train} is too small to "
               f"pick an epoch from (one sequence moves its accuracy by {100 / max(n_all - n_train, 1):.1f} "
               f"points), so the final model trains on training + validation data for a fixed number of "
               f"epochs and averages its weights over the last third" if refit else
               ("forecasting: the validation period stays held out for early stopping" if plan.kind != "sequences"
                else f"{n_all} >= {SMALL} training sequences: early stopping on the validation split"))
    else:
        refit = args.refit == "yes"
        why = "forced by --refit"
        if refit and plan.kind != "sequences":
            from .._errors import ConfigError

            raise ConfigError("seqfeed train: --refit yes is for sequence tasks (classify, regress, tag); "
                              "forecasting keeps its validation period for early stopping.", argument="--refit",
                              fix="drop --refit or use --refit no")
    out["refit"], out["refit_why"] = refit, why
    if args.epochs is None:
        per_epoch = max(1, math.ceil((n_all if refit else n_train) / out["batch"]))
        need = math.ceil(MIN_STEPS / per_epoch)
        out["epochs"] = int(min(150, max(60, need))) if small else 60
        out["epochs_why"] = (f"at least {MIN_STEPS} optimiser steps ({per_epoch} batches per epoch), "
                             f"between 60 and 150 epochs" if small else "default")
    else:
        out["epochs"], out["epochs_why"] = args.epochs, "forced by --epochs"
    out["average_from"] = out["epochs"] - max(1, out["epochs"] // 3) if refit else None
    return out


def _default_budget(plan, n_trials: int) -> float:
    """Seconds for the search: about a third of a 5-minute run, more for big data."""
    steps = int(plan.train.lengths.sum())
    return float(min(600, max(60, steps / 2000)))
