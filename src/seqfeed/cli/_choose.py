"""Automatic choices of ``seqfeed train``: log transform, normalisation and restructuring.

Candidates are scored on the validation split (never the test split) with short
training runs, within a time budget; every score is written into the model card.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..transforms._restructure import describe_restructure, frame_lengths, parse_restructure
from ._tasks import build_scaler, needs_log

LONG = 200  # median length above which sequences count as long


def restructure_candidates(median_len: float) -> list[dict]:
    """Restructurings worth trying for sequences of this median length."""
    if median_len <= LONG:
        return [{"kind": "none"}]
    k = max(2, int(math.ceil(median_len / 64)))  # ~64 LSTM steps per sequence
    k2 = max(2, int(math.ceil(median_len / 128)))  # ~128 steps, finer frames
    out = [{"kind": "frame", "size": k}]
    if k2 != k:
        out.append({"kind": "frame", "size": k2})
    return out + [{"kind": "summary", "size": k}, {"kind": "conv", "size": k}, {"kind": "pool", "size": k}]


def _score(sm, val, task) -> float:
    """Higher is better: accuracy for classification/tagging, -MAE otherwise."""
    res = sm.evaluate(val) if task != "forecast" else None
    if task in ("classify", "tag"):
        return res["accuracy"]
    if task == "regress":
        return -res["mae"]
    raise AssertionError(task)


def _forecast_score(sm, plan, scaler) -> float:
    from .. import metrics as M
    from ._tasks import unscale_targets

    pred = unscale_targets(scaler, np.asarray(sm.predict_raw(plan.val_for_model(scaler))), plan)
    return -M.mae(plan.val_y, pred)


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
        # random crops did not help on ACSF1 (0.615 vs 0.665 with frames of 10): off unless asked for
        "crop": None if args.crop is None or args.crop >= 1 else args.crop,
    }
    report["model"] = {**model, "why": (f"median length {report['median_length']:g} > {LONG}: events can sit "
                                        f"anywhere in a long sequence, so both directions and mean+max pooling "
                                        f"over real steps (defaults for long data)")
                       if long else "defaults for short sequences (or as given by flags)"}

    # 3. candidates
    if args.frame == "auto":
        restructs = restructure_candidates(report["median_length"] or 0)
        why_r = (f"median length {report['median_length']:g} <= {LONG}: one raw step per LSTM step"
                 if restructs == [{"kind": "none"}] else
                 f"median length {report['median_length']:g} > {LONG}: long for an LSTM; candidates scored "
                 f"on validation")
    else:
        restructs = [parse_restructure(args.frame)]
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
                                        bidirectional=model["bidirectional"], dropout=args.dropout,
                                        cell=args.cell, pooling=model["pooling"] if task != "forecast" else "last",
                                        learning_rate=args.lr, seed=args.seed, restructure=r)
            sm.scaler = scaler if task != "forecast" else None
            t = time.time()
            sm.fit(plan.train_for_model(scaler), epochs=short, batch_size=args.batch, batching=args.batching,
                   max_tokens=args.max_tokens, seed=args.seed, verbose=0, crop=model["crop"])
            sc = _forecast_score(sm, plan, scaler) if task == "forecast" else _score(sm, plan.val, task)
            rec = {"restructure": describe_restructure(r), "spec": r, "normalize": n, "val_score": round(sc, 4),
                   "seconds": round(time.time() - t, 1), "epochs": short}
            scores.append(rec)
            say(f"  candidate {describe_restructure(r)}, {n} scaling: validation "
                f"{'accuracy' if task in ('classify', 'tag') else '-MAE'} {sc:.4f} ({rec['seconds']}s)")
            return sc

        say(f"choosing the input structure on the validation split ({short} epochs per candidate, "
            f"budget {budget:.0f}s)")
        best = -math.inf
        for r, n in candidates:
            if time.time() - t0 > budget and scores:
                scores.append({"restructure": describe_restructure(r), "spec": r, "normalize": n,
                               "val_score": None, "skipped": "time budget"})
                continue
            sc = trial(r, n)
            if sc > best:
                best, chosen_r = sc, r
        for n in norms[1:]:
            if time.time() - t0 > budget and scores:
                scores.append({"restructure": describe_restructure(chosen_r), "spec": chosen_r, "normalize": n,
                               "val_score": None, "skipped": "time budget"})
                continue
            sc = trial(chosen_r, n)
            if sc > best + 1e-9:
                best, chosen_n = sc, n
    report["restructure"] = {"chosen": describe_restructure(chosen_r), "spec": chosen_r, "why": why_r}
    report["normalize"] = {"chosen": chosen_n, "why": why_n}
    report["candidates"] = scores
    if task != "forecast":
        L = plan.train.lengths
        report["steps_after_restructure"] = {
            "median": float(np.median(frame_lengths(L, chosen_r["size"]) if chosen_r["kind"] != "none" else L))}
    scaler = build_scaler(train_steps, chosen_n, log)
    say(f"input: {describe_restructure(chosen_r)}; scaling: {chosen_n}"
        + (" after sign(x)*log1p(|x|)" if log else ""))
    return {"scaler": scaler, "restructure": chosen_r, "report": report, "model": model}


def _default_budget(plan, n_trials: int) -> float:
    """Seconds for the search: about a third of a 5-minute run, more for big data."""
    steps = int(plan.train.lengths.sum())
    return float(min(600, max(60, steps / 2000)))
