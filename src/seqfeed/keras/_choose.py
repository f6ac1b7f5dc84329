"""Automatic choices of the training recipe: log transform, normalisation, restructuring, training size.

Candidates are scored on the validation split (never the test split) with short
training runs, within a time budget; every score is written into the model card.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..transforms import Restructure
from ._options import option_label
from ._tasks import build_scaler, needs_log

LONG = 200  # median length above which sequences count as long (model recipe: both directions, pooling)
# median length from which restructurings are scored on validation: on GunPoint (150 steps, 50 sequences)
# an LSTM over the raw steps stayed at chance (test 0.55) where frames of 5 steps reached 0.97; on
# Tecator (100 steps) the multi-scale Conv1D front-end took the test RMSE from 11.5 to 2.2
RESTRUCTURE_FROM = 100
SMALL = 1000  # training sequences below which the defaults switch to the small-data recipe


def msconv_size(median_len: float) -> int:
    """Stride of the multi-scale Conv1D front-end: ~64 LSTM steps per sequence (as the coarse frames)."""
    return max(2, int(math.ceil(median_len / 64)))


def restructure_candidates(median_len: float) -> list[Restructure]:
    """Restructurings worth trying for sequences of this median length, in the order they are tried.

    The learned multi-scale Conv1D front-end comes first: the search stops at its time budget, and
    a budget spent on the fixed restructurings first never reached it.
    """
    if median_len < RESTRUCTURE_FROM:
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
    """Log transform, model recipe, restructuring and scaling: forced by the options or scored on the
    validation split within a time budget. Returns ``scaler``, ``restructure``, ``report``, ``model``."""
    train_steps = plan.scaler_data()
    median = float(np.median(plan.train.lengths))
    report = {"median_length": median}
    log, report["log_transform"] = _choose_log(args, train_steps)
    n_seqs = len(plan.train) + len(plan.val) if plan.kind == "sequences" else 0
    model, report["model"] = _model_recipe(args, median, lengths=plan.train.lengths, n_sequences=n_seqs)
    restructs, why_r = _restructure_options(args, median)
    norms, why_n = _normalize_options(args, n_features=int(plan.train.n_features) if args.task != "forecast" else 1)
    chosen_r, chosen_n, scores = _search(plan, args, train_steps, log, model, restructs, norms, say)
    if args.task == "forecast":
        model["change"], report["forecast_change"] = _choose_change(
            plan, args, build_scaler(train_steps, chosen_n, log), model, chosen_r, chosen_n, scores, say)
        report["model"]["change"] = model["change"]
    report["restructure"] = {"chosen": chosen_r.describe(), "spec": str(chosen_r), "why": why_r}
    report["normalize"] = {"chosen": chosen_n, "why": why_n}
    report["candidates"] = scores
    if args.task != "forecast":
        L = plan.train.lengths
        report["steps_after_restructure"] = {
            "median": float(np.median(chosen_r.steps(L)))}
    scaler = build_scaler(train_steps, chosen_n, log)
    say(f"input: {chosen_r.describe()}; scaling: {chosen_n}"
        + (" after sign(x)*log1p(|x|)" if log else ""))
    return {"scaler": scaler, "restructure": chosen_r, "report": report, "model": model}


def _choose_log(args, train_steps) -> tuple[bool, dict]:
    """The sign(x)*log1p(|x|) transform, for magnitudes spanning orders of magnitude."""
    if args.log_transform != "auto":
        forced = args.log_transform == "yes"
        return forced, {"chosen": forced, "why": "forced by " + option_label(args, "log_transform")}
    log = needs_log(np.asarray(train_steps.values))
    return log, {"chosen": log, "why": "feature magnitudes span orders of magnitude (99th percentile / median "
                                      "of |x| > 100)" if log else "magnitudes are within two orders of magnitude"}


def _model_recipe(args, median: float, *, lengths, n_sequences: int) -> tuple[dict, dict]:
    """The model recipe: both directions for long sequences and for short whole-sequence targets, the
    long-sequence recipe (pooling over real steps, no input dropout), and the random-crop rule
    (:func:`crop_for`).

    Short sequences (median below ``RESTRUCTURE_FROM``: one raw step per LSTM step) with a
    classification or regression target, which belongs to the whole sequence the model sees whole,
    are read in both directions when there are fewer than ``SMALL`` of them (the sets it was
    measured on; with more, an epoch's doubled cost is no longer small): JapaneseVowels
    0.976/0.986/0.981 -> 0.984/0.984/0.981 over seeds 0/1/2 (0.989/0.989/0.984 with the ensemble of
    :func:`ensemble_for`), CardanoSentiment RMSE 0.320/0.296 -> 0.299/0.292 (seeds 0/1). Between
    ``RESTRUCTURE_FROM`` and ``LONG``, where the search restructures the sequence, one direction
    stayed, as both did not win there: Tecator RMSE 0.654/0.753 -> 0.771/0.777 at seeds 0/1,
    PickupGestureWiimoteZ 0.80/0.68 -> 0.74/0.78. Forecasting windows and per-step tags keep one
    direction. ``docs/defaults.md`` lists the held-out sets, where the rule is within the
    seed-to-seed spread, slightly below on average."""
    long = median > LONG and args.task != "forecast"
    short_whole = median < RESTRUCTURE_FROM and args.task in ("classify", "regress") and n_sequences < SMALL
    if args.crop is not None:
        crop, crop_why = (None if args.crop >= 1 else args.crop), "forced by " + option_label(args, "crop", args.crop)
    else:
        crop, crop_why = crop_for(args.task, lengths, n_sequences)
    model = {
        "bidirectional": (long or short_whole) if args.bidirectional is None else args.bidirectional,
        "pooling": ("mean+max" if long else "last") if args.pooling == "auto" else args.pooling,
        # frames of raw readings: dropping single readings fabricates spikes (ACSF1: 0.83-0.86 without
        # dropout vs 0.78-0.80 with 0.1, weights averaged; see benchmarks/bench_long.py)
        "dropout": (0.0 if long else 0.1) if args.dropout is None else args.dropout,
        "crop": crop,
    }
    why = (f"median length {median:g} > {LONG}: events can sit anywhere in a long sequence, so both directions "
           f"and mean+max pooling over real steps, and no input dropout (defaults for long data)" if long else
           f"median length {median:g} < {RESTRUCTURE_FROM}, {n_sequences} < {SMALL} sequences, task {args.task!r}: the "
           f"target belongs to the whole short sequence, so both directions, the state at the last real step and "
           f"input dropout 0.1" if short_whole else
           "defaults for short sequences: one direction, the state at the last real step, input dropout 0.1")
    given = [option_label(args, name, value) for name, value in (("bidirectional", args.bidirectional),
                                                                 ("dropout", args.dropout))
             if value is not None] + ([option_label(args, "pooling", args.pooling)] if args.pooling != "auto" else [])
    if given:
        why = f"{why}; overridden by {', '.join(given)}"
    return model, {**model, "why": why, "crop_why": crop_why}


CROP = 0.8  # the kept fraction of random crops (at least; uniform between it and 1 per sequence and epoch)


def crop_for(task: str, lengths, n_sequences: int) -> tuple[float | None, str]:
    """Random crops for training, from the task, the training lengths and the number of sequences.

    Returns ``(crop, why)``: ``CROP`` (each time a sequence is batched, a random contiguous part of
    at least that fraction of it is used; evaluation and prediction see whole sequences) when all
    of these hold, else ``None``:

    - classification: one class for the whole sequence, whatever the window's start (on Tecator's
      spectra, a regression, crops cost accuracy: RMSE 0.66 -> 0.71);
    - fewer than ``SMALL`` training sequences: few examples to learn position invariance from;
    - a median length of at least ``RESTRUCTURE_FROM`` steps: a crop still holds most of a long
      sequence's shape (on 24 steps, ItalyPowerDemand lost 0.971 -> 0.935).

    Lengths may vary: on PLAID (167-1,344 steps) crops took the front-end from 0.786 to 0.899, and on
    PickupGestureWiimoteZ (29-361 steps) frame summaries scored 0.78 with crops and without. (An
    earlier condition, fixed lengths only, came from PickupGestureWiimoteZ when the search's trials
    also trained on crops and chose another restructuring; the trials now see whole sequences.)

    Chosen on GunPoint, Coffee and ArrowHead (0.920 -> 0.967, 0.929 -> 1.000, 0.789 -> 0.857, test
    accuracy, default ``seqfeed train`` otherwise); see ``docs/defaults.md`` for the held-out sets.
    """
    L = np.asarray(lengths, dtype=np.int64)
    if task != "classify":
        return None, (f"task {task!r}: crops are used for classification (a regression target such as a "
                      f"spectrum's content can depend on where a reading sits: Tecator RMSE 0.66 -> 0.71)")
    if L.size == 0:
        return None, "no training lengths"
    median = float(np.median(L))
    if n_sequences >= SMALL:
        return None, f"{n_sequences} >= {SMALL} training sequences: enough examples without crops"
    if median < RESTRUCTURE_FROM:
        return None, f"median length {median:g} < {RESTRUCTURE_FROM}: a crop would drop much of a short sequence"
    return CROP, (f"{n_sequences} < {SMALL} training sequences of lengths {int(L.min())}..{int(L.max())} (median "
                  f"{median:g} >= {RESTRUCTURE_FROM}): each epoch trains on random crops of at least {CROP:.0%} of "
                  f"each sequence, so the model learns the shape wherever a window starts")


def _restructure_options(args, median: float) -> tuple[list, str]:
    if args.frame != "auto":
        return [Restructure.parse(args.frame)], "forced by " + option_label(args, "frame")
    restructs = restructure_candidates(median or 0)
    if restructs == [Restructure()]:
        return restructs, f"median length {median:g} < {RESTRUCTURE_FROM}: one raw step per LSTM step"
    raw_only = getattr(args, "forecast_change", "auto") == "yes"
    if raw_only:  # the change from the last observed value needs it as one raw step
        restructs = [r for r in restructs if _keeps_raw_steps(r)]
    return restructs, (f"median length {median:g} >= {RESTRUCTURE_FROM}: long for an LSTM; candidates scored on "
                       f"validation" + ("; another candidate replaces the learned front-end only with a validation "
                                        "accuracy more than one standard error higher" if args.task == "classify"
                                        else "")
                       + (f"; only those that keep the raw steps ({option_label(args, 'forecast_change', 'yes')})"
                          if raw_only else ""))


def _keeps_raw_steps(r: Restructure) -> bool:
    """Whether the model still sees each raw step (no restructuring, or a Conv1D front-end inside it)."""
    return r.kind == "none" or r.in_model


def _normalize_options(args, n_features: int = 1) -> tuple[list, str]:
    if args.task == "forecast":
        if args.normalize == "per_sequence":
            return ["global"], "per-sequence scaling is not used for forecasting (targets need one scale)"
        if args.normalize == "auto":
            return ["global"], "forecasting scales with training-period statistics"
        return [args.normalize], "forced by " + option_label(args, "normalize")
    if args.normalize == "auto" and n_features > 1:
        # per-sequence z-normalisation rescales each feature of each sequence on its own, so the
        # features' levels relative to each other (the coefficients of a frame, a sensor's axes) are
        # lost; on the suite's three multivariate sets it never won (benchmarks/results/suite.json)
        return ["global"], (f"{n_features} features per step: global scaling keeps their relative levels "
                            f"(per-sequence z-normalisation is scored only for single-feature sequences; "
                            f"{option_label(args, 'normalize', 'per_sequence')} forces it)")
    if args.normalize == "auto":
        return ["global", "per_sequence"], ("global (keeps amplitude) vs per-sequence z-normalisation, scored "
                                            "on validation with the first restructuring, before the others"
                                            + ("; per-sequence replaces global only with a validation accuracy "
                                               "more than one standard error higher"
                                               if args.task == "classify" else ""))
    return [args.normalize], "forced by " + option_label(args, "normalize")


def _search(plan, args, train_steps, log, model, restructs, norms, say):
    """Short trainings scored on validation: first each scaling with the first restructuring (the default
    one), then the other restructurings with the chosen scaling; what the time budget leaves out is
    recorded as skipped. Returns ``(restructure, normalize, scores)``.

    In classification, both choices keep the default (global scaling, the first restructuring) unless
    another candidate's validation accuracy is more than one standard error higher: on validation
    splits of 6-10 sequences, ties broken by the log loss were noise (PickupGestureWiimoteZ: the
    front-end tied 0.4 with both scalings, the log loss picked per-sequence scaling, and frames with it
    scored 0.62 on test, against 0.78 for frame summaries with global scaling).

    The scaling is scored first because it is a property of the data (whether the amplitude carries the
    class) that decides how well every restructuring trains: on PLAID (appliance currents, 167-1,344
    steps) the front-end scored 0.30 on validation with global scaling and 0.74 with per-sequence
    scaling, and when the restructurings came first, frames with global scaling (0.41) replaced the
    front-end and the budget ran out before any per-sequence trial."""
    chosen = {"r": restructs[0], "n": norms[0]}
    scores: list = []
    if len(restructs) == 1 and len(norms) == 1:
        return chosen["r"], chosen["n"], scores
    budget = SEARCH_SHARE * args.time_budget if args.time_budget else _default_budget(plan, len(restructs)
                                                                                      + len(norms) - 1)
    short = max(4, min(args.epochs // 4, 15))
    say(f"choosing the input structure on the validation split ({short} epochs per candidate, "
        f"budget {budget:.0f}s)")
    t0, best = time.time(), (-math.inf, -math.inf)

    def run(r, n):
        if time.time() - t0 > budget and scores:
            scores.append({"restructure": r.describe(), "spec": str(r), "normalize": n,
                           "val_score": None, "skipped": "time budget"})
            return None
        return _trial(plan, args, build_scaler(train_steps, n, log), model, r, n, short, scores, say)

    classify = args.task == "classify"
    best_first = None  # the record of the first restructuring's best trial
    for n in norms:
        sc = run(restructs[0], n)
        if sc is None:
            continue
        if best_first is None:
            best, best_first = sc, scores[-1]
            margin = one_standard_error(sc[0], len(plan.val)) if classify else 0.0
            if margin and len(norms) > 1:
                best_first["margin"] = round(margin, 4)
        elif (sc[0] > best[0] + margin) if classify else (sc > best):
            best, chosen["n"], best_first = sc, n, scores[-1]
    first = best[0]
    margin = one_standard_error(first, len(plan.val)) if classify else 0.0
    if margin and len(restructs) > 1:
        best_first["margin"] = round(margin, 4)
    for r in restructs[1:]:
        sc = run(r, chosen["n"])
        if sc is None or sc[0] <= first + margin:
            continue  # skipped, or within the noise of the first restructuring's validation accuracy
        if sc > best:
            best, chosen["r"] = sc, r
    return chosen["r"], chosen["n"], scores


def one_standard_error(accuracy: float, n_val: int) -> float:
    """The standard error of a validation accuracy measured on ``n_val`` sequences (binomial).

    The restructuring search keeps its first candidate, the learned multi-scale front-end, unless
    another one beats its validation accuracy by more than this (the one-standard-error rule). The
    front-end can learn what the fixed restructurings compute, but it trains more slowly, and the
    search's trials are short: on validation splits of 7-40 sequences it lost to frame summaries by
    one sequence where it scored higher on the test set (ArrowHead: 0.78 against 0.62)."""
    p = min(max(float(accuracy), 0.0), 1.0)
    return math.sqrt(p * (1 - p) / max(int(n_val), 1))


def _choose_change(plan, args, scaler, model, r, n, scores, say) -> tuple[bool, dict]:
    """Forecasting: absolute levels, or the change from the last observed value (inputs relative to
    it), scored on the validation period unless ``forecast_change`` forces one.

    A series with a trend reaches levels in its validation and test periods that its training
    period never had; a model of the change sees those as shifted inputs (Airline's passengers). A
    stationary series loses little either way; the validation period decides."""
    raw_steps = _keeps_raw_steps(r)
    if args.forecast_change != "auto":
        forced = args.forecast_change == "yes"
        return forced, {"chosen": forced, "why": "forced by " + option_label(args, "forecast_change")}
    if not raw_steps:
        return False, {"chosen": False, "why": f"{r.describe()} replaces the raw steps, so there is no last "
                                               f"observed value to forecast the change from"}
    short = max(4, min(args.epochs // 4, 15))
    say(f"choosing absolute levels or the change from the last value on the validation period ({short} epochs "
        f"each)")
    best, chosen = None, False
    for change in (False, True):
        sc = _trial(plan, args, scaler, {**model, "change": change}, r, n, short, scores, say)
        scores[-1]["forecast_change"] = change
        if best is None or sc > best:
            best, chosen = sc, change
    return chosen, {"chosen": chosen, "why": "absolute levels vs the change from the last observed value, "
                                             "scored on the validation period"}


def _trial_model(plan, args, scaler, model, r):
    """A model as the final fit would build it (same recipe, restructuring ``r``, the run's seed), for the
    search's trials and the regression epochs' validation fit."""
    from ._model import SequenceModel

    task = args.task
    sm = SequenceModel.for_data(plan.train_for_model(scaler), task, units=args.units, layers=args.layers,
                                bidirectional=model["bidirectional"], dropout=model["dropout"],
                                cell=args.cell, pooling=model["pooling"] if task != "forecast" else "last",
                                learning_rate=args.lr, seed=args.seed, restructure=r,
                                change_of=plan.target_index if model.get("change") else None)
    sm.scaler = scaler if task != "forecast" else None
    return sm


def _trial(plan, args, scaler, model, r, n, epochs, scores, say):
    """One candidate: a short training from the same seed, scored on the validation split."""
    task = args.task
    sm = _trial_model(plan, args, scaler, model, r)
    t = time.time()
    # whole sequences, without the final fit's crops: crops are a regulariser that pays off over the
    # final fit's epochs, and in short trials they add noise to the comparison (PickupGestureWiimoteZ:
    # with crops in the trials the search kept the front-end, 0.70 on test, where on whole sequences it
    # chose frame summaries, which score 0.78 with crops and without)
    sm.fit(plan.train_for_model(scaler), epochs=epochs, batch_size=args.batch, batching=args.batching,
           max_tokens=args.max_tokens, seed=args.seed, verbose=0)
    sc = _forecast_score(sm, plan, scaler) if task == "forecast" else _score(sm, plan.val, task)
    rec = {"restructure": r.describe(), "spec": str(r), "normalize": n, "val_score": round(sc[0], 4),
           **({"val_log_loss": round(-sc[1], 4)} if task == "classify" else {}),
           "seconds": round(time.time() - t, 1), "epochs": epochs}
    scores.append(rec)
    say(f"  candidate {r.describe()}, {n} scaling"
        + (", change from the last value" if model.get("change") else "") + ": validation "
        f"{'accuracy' if task in ('classify', 'tag') else '-MAE'} {sc[0]:.4f}"
        + (f", log loss {-sc[1]:.4f}" if task == "classify" else "") + f" ({rec['seconds']}s)")
    return sc


MIN_STEPS = 1000  # optimiser steps a small data set gets at least (epochs * batches per epoch)
UNDERFIT_ACCURACY = 0.95  # training accuracy below which a small-data classifier's refit is still underfitting
RUN_SECONDS = 300.0  # the whole run a default `seqfeed train` aims to stay within (without --time-budget)
FIT_END_SHARE = 0.85  # an extended fit ends by this share of the run's seconds (evaluation, baseline, writing follow)


def run_seconds(time_budget: float | None) -> float:
    """The seconds a run aims to stay within: ``time_budget``, else ``RUN_SECONDS``."""
    return float(time_budget or RUN_SECONDS)


def fit_deadline(started: float, time_budget: float | None) -> float:
    """The ``time.monotonic()`` by which training that the run adds on its own (the extension for
    underfitting, the automatic ensemble's members) ends: ``FIT_END_SHARE`` of :func:`run_seconds`
    after ``started``, leaving time for evaluation, the baseline and writing."""
    return started + FIT_END_SHARE * run_seconds(time_budget)


def averaging_start(epochs: int) -> int:
    """The 0-based epoch from which a refit averages its weights: the last third of ``epochs``."""
    return epochs - max(1, epochs // 3)


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
        out["batch"], out["batch_why"] = args.batch, "forced by " + option_label(args, "batch")
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
        why = "forced by " + option_label(args, "refit")
        if refit and plan.kind != "sequences":
            from .._errors import ConfigError

            raise ConfigError("seqfeed.keras.train: refit='yes' is for sequence tasks (classify, regress, tag); "
                              "forecasting keeps its validation period for early stopping.", argument="refit",
                              received="yes", fix="leave out refit=, or pass refit='no'")
    out["refit"], out["refit_why"] = refit, why
    if args.epochs is None:
        per_epoch = max(1, math.ceil((n_all if refit else n_train) / out["batch"]))
        need = math.ceil(MIN_STEPS / per_epoch)
        out["epochs"] = int(min(150, max(60, need))) if small else 60
        out["epochs_why"] = (f"at least {MIN_STEPS} optimiser steps ({per_epoch} batches per epoch), "
                             f"between 60 and 150 epochs" if small else "default")
    else:
        out["epochs"], out["epochs_why"] = args.epochs, "forced by " + option_label(args, "epochs")
    out["average_from"] = averaging_start(out["epochs"]) if refit else None
    out["epochs_forced"] = args.epochs is not None
    # An underfitting refit goes on: the epochs of the rule are a floor, not a measurement. Where the
    # training accuracy is still low when the averaging would start, the run doubles its epochs once
    # (only with training crops: see :func:`extension_with_crops`).
    extend = refit and plan.task == "classify" and args.epochs is None
    out["extend"] = {"to": 2 * out["epochs"], "below": UNDERFIT_ACCURACY,
                     "metric": "sparse_categorical_accuracy"} if extend else None
    return out


ENSEMBLE = 3  # members of the automatic ensemble


def ensemble_for(plan, args, training: dict) -> tuple[int, str]:
    """How many models the run trains and averages (members from seeds ``seed + 1000 * i``).

    Without ``ensemble=``: ``ENSEMBLE`` for classification and regression of fewer than ``SMALL``
    sequences with a median length below ``RESTRUCTURE_FROM`` (one raw step per LSTM step, no
    restructuring search) when the run chooses its own epochs; one model otherwise. Such a model
    trains in seconds, and its test score moves with the seed by more than any setting changed it
    (JapaneseVowels: 0.976/0.986/0.981 over seeds 0/1/2); averaging the outputs of three seeds takes
    out part of that spread. Longer sequences spend the run's time on the restructuring search and on
    one longer fit (an ensemble of up to five there lost accuracy on three of six suite sets). The
    members that would end after ``FIT_END_SHARE`` of the run's time are left out (see ``_ensemble``).
    """
    if args.ensemble is not None:
        return args.ensemble, "forced by " + option_label(args, "ensemble", args.ensemble)
    if args.task not in ("classify", "regress"):
        return 1, f"task {args.task!r}: one model (the automatic ensemble is for classification and regression)"
    n_all, median = training["n_train_and_val"], float(np.median(plan.train.lengths))
    if n_all >= SMALL:
        return 1, f"{n_all} >= {SMALL} training sequences: one model"
    if not training["refit"]:
        return 1, f"no refit ({training['refit_why']}): one model"
    if median >= RESTRUCTURE_FROM:
        return 1, (f"median length {median:g} >= {RESTRUCTURE_FROM}: one model (the run's time goes to the "
                   f"restructuring search and one longer fit)")
    if training.get("epochs_forced"):
        return 1, f"epochs forced by {option_label(args, 'epochs')}: one model"
    return ENSEMBLE, (f"{n_all} < {SMALL} training sequences of median length {median:g} < {RESTRUCTURE_FROM}: a "
                      f"model trains in seconds and its score moves with the seed, so {ENSEMBLE} models from "
                      f"different seeds are averaged; members that would end after {FIT_END_SHARE:.0%} of the run's "
                      f"time are left out")


def extension_with_crops(training: dict, crop: float | None) -> dict:
    """The extension for underfitting is kept only when the model trains on random crops. With crops
    every epoch shows new views of the sequences, so a training accuracy below 0.95 after the rule's
    epochs is a model still learning (ACSF1: 0.83 -> 0.89/0.90 with twice the epochs,
    PickupGestureWiimoteZ 0.78 -> 0.80, PLAID 0.899 -> 0.907). Without crops, the same training
    accuracy more often means labels the sequences do not determine, and more epochs memorise them:
    Covid3Month_disc (training accuracy 0.68) 0.721 -> 0.689 and, at seed 1, 0.689 -> 0.541;
    ItalyPowerDemand (0.94) 0.972 -> 0.973."""
    if not training.get("extend") or crop is not None:
        return training
    return {**training, "extend": None}


def regress_epochs(plan, args, setup, training, say, *, max_epochs: int | None = None) -> dict | None:
    """Small-data regression: the refit's epochs from the validation curve of a fit on the training
    split alone (``None`` when the rule does not apply).

    A classification accuracy on a validation split of a few dozen sequences moves in steps too
    coarse to pick an epoch from, so classification refits for a fixed number of epochs. A
    regression's validation error is continuous: a fit on the training split with early stopping
    on it (``patience`` epochs, at most the rule's epochs) finds the epoch where the model stops
    generalising, and the refit on training + validation data runs that many epochs. On a target
    with little signal in the sequences (CardanoSentiment) the fixed epochs fitted noise: test
    RMSE 0.345 against 0.300 for the training mean. Applies when refitting was chosen
    automatically and the epochs were not given. ``max_epochs`` caps the fit below the rule's
    epochs (with ``time_budget``: half the epochs the budget leaves after the search).
    """
    if args.task != "regress" or not training["refit"] or args.refit != "auto" or training.get("epochs_forced"):
        return None
    from ._lazy import keras

    model = setup["model"]
    max_epochs = int(training["epochs"]) if max_epochs is None else max(1, min(int(training["epochs"]), max_epochs))
    patience = max(int(args.patience), max_epochs // 3)  # a small set's validation loss is noisy
    say(f"regression: the refit's epochs from the validation curve (early stopping, patience {patience}, "
        f"at most {max_epochs} epochs)")
    t = time.time()
    sm = _trial_model(plan, args, setup["scaler"], model, setup["restructure"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    hist = sm.fit(plan.train_for_model(setup["scaler"]), validation=plan.val_for_model(setup["scaler"]),
                  epochs=max_epochs, batch_size=training["batch"], batching=args.batching,
                  max_tokens=args.max_tokens, seed=args.seed, verbose=0, callbacks=[stop], crop=model["crop"])
    val = np.asarray(hist.history["val_loss"], dtype=np.float64)
    best = int(np.nanargmin(val)) + 1 if np.isfinite(val).any() else max_epochs
    return {"best_epoch": best, "epochs_run": int(val.size), "max_epochs": max_epochs,
            "patience": patience, "best_val_loss": round(float(np.nanmin(val)), 6)
            if np.isfinite(val).any() else None, "seconds": round(time.time() - t, 1)}


def apply_regress_epochs(training: dict, probe: dict | None) -> dict:
    """``training`` with the refit's epochs set to the probe's best epoch (weights averaged over the
    last third of them)."""
    if not probe:
        return training
    out = dict(training)
    e = max(1, int(probe["best_epoch"]))
    out["epochs"], out["average_from"] = e, averaging_start(e)
    out["epochs_why"] = (f"regression: the best validation loss of a fit on the training split alone came at epoch "
                         f"{probe['best_epoch']} of {probe['epochs_run']} (early stopping, patience "
                         f"{probe['patience']}, at most {probe['max_epochs']}); a regression's validation error is "
                         f"continuous enough to pick an epoch from")
    out["refit_why"] = (f"{training['n_train_and_val']} < {SMALL} training sequences: the validation split "
                        f"({training['n_train_and_val'] - training['n_train']} sequences) only chooses the epochs; "
                        f"the final model trains on training + validation data and averages its weights over "
                        f"the last third")
    return out


SEARCH_SHARE = 0.4  # of a given time budget: the search's share; the final fit gets what is left
FIT_SHARE_OF_REST = 0.8  # of what is left after the search: the rest is for evaluation and writing


def _training_lengths(plan) -> np.ndarray:
    if plan.kind == "sequences":
        return np.asarray(plan.train.lengths, dtype=np.int64)
    X = plan.train_X
    return (np.asarray(X.lengths, dtype=np.int64) if hasattr(X, "lengths")
            else np.full(len(X), plan.window, dtype=np.int64))


def budget_epochs(plan, args, training: dict, scores: list, elapsed: float, *,
                  directions: int = 1) -> dict | None:
    """With ``time_budget``: the most epochs the final fit can run in what the budget leaves after
    ``elapsed`` seconds (``None`` without a budget).

    Seconds per epoch come from the search's own candidates (their median seconds per epoch,
    scaled by the final fit's training size over the search's) or, when no candidate ran, from
    the step-time model of :func:`seqfeed.batching._shapes.sorted_epoch_seconds` (graph mode, Keras'
    loop: an overestimate with the fused kernel). ``FIT_SHARE_OF_REST`` of what is left goes to
    the fit; the rest covers evaluation, the baseline and writing. A model reading both
    ``directions`` runs two recurrent layers where one would run, so the model counts twice the
    layers."""
    if not args.time_budget:
        return None
    from ..batching._shapes import sorted_epoch_seconds

    n_final = training["n_train_and_val"] if training["refit"] else training["n_train"]
    scale = n_final / max(training["n_train"], 1)
    timed = [c["seconds"] / c["epochs"] for c in scores if c.get("seconds") and c.get("epochs")]
    if timed:
        per_epoch, basis = float(np.median(timed)) * scale, "the search's candidates"
    else:
        per_epoch = sorted_epoch_seconds(_training_lengths(plan), int(training["batch"]), units=args.units,
                                         layers=args.layers * directions) * scale
        basis = "the step-time model"
    left = max(0.0, float(args.time_budget) - elapsed)
    cap = max(1, int(FIT_SHARE_OF_REST * left // max(per_epoch, 1e-6)))
    return {"time_budget": float(args.time_budget), "elapsed_before_fit": round(elapsed, 1),
            "seconds_per_epoch": round(per_epoch, 3), "basis": basis, "max_epochs": cap}


def apply_budget(training: dict, budget: dict | None) -> dict:
    """``training`` with its epochs cut to ``budget["max_epochs"]`` (and the averaged epochs with them);
    an extension for underfitting goes at most to the cap."""
    if not budget:
        return training
    cap = budget["max_epochs"]
    ext = training.get("extend")
    if training["epochs"] <= cap:
        if not ext or ext["to"] <= cap:
            return training
        out = dict(training)
        out["extend"] = {**ext, "to": cap} if cap > training["epochs"] else None
        return out
    out = dict(training)
    out["extend"] = None
    out["epochs_why"] = (f"{training['epochs']} by the rule ({training['epochs_why']}), cut to {cap} by the time "
                         f"budget: {budget['time_budget']:g} s, {budget['elapsed_before_fit']:g} s used before the fit, "
                         f"~{budget['seconds_per_epoch']:g} s per epoch (from {budget['basis']})")
    out["epochs"] = cap
    out["average_from"] = averaging_start(cap) if training["refit"] else None
    return out


def _default_budget(plan, n_trials: int) -> float:
    """Seconds for the search: about a third of a 5-minute run, more for big data."""
    steps = int(plan.train.lengths.sum())
    return float(min(600, max(60, steps / 2000)))
