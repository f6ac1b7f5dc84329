"""Test metrics of a trained recipe model, beside the strongest cheap baseline on the same split."""

from __future__ import annotations

import numpy as np

from ._choose import RESTRUCTURE_FROM, msconv_size
from ._options import option_label
from ._tasks import last_value_forecast, unscale_targets


def evaluate_plan(sm, plan, scaler, *, baseline_budget: float | None = None, label=None) -> dict:
    """Test metrics of a trained model on the plan's test data, with the strongest affordable baseline.

    The baseline (see :func:`seqfeed.baselines.choose_baseline`) runs on the same split (training +
    validation sequences against the same test sequences; forecasting: the same test windows) within
    ``baseline_budget`` seconds, by default :func:`baseline_budget_for` (10% of the training's
    *estimated* duration, at least 5 s: an estimate from the data and the chosen setup, not the wall
    clock, so that the same command always picks the same baseline, whatever the machine's load and
    whether or not the run was interrupted). It is recorded as ``metrics["baseline"]`` with the gap to
    the model and, when it scores better, ``beats_model: true`` and what to try.
    """
    from .. import metrics as M

    if baseline_budget is None:
        baseline_budget = baseline_budget_for(sm, plan)
    if sm.task == "forecast":
        pred = unscale_targets(scaler, np.asarray(sm.predict_raw(plan.test_for_model(scaler))), plan)
        y = plan.test_targets
        naive = last_value_forecast(plan.test_windows, plan)
        out = {"n_test": int(len(y)), "mae": M.mae(y, pred), "rmse": M.rmse(y, pred),
               "naive_mae": M.mae(y, naive), "naive_rmse": M.rmse(y, naive)}
        out["mae_vs_naive"] = out["mae"] / out["naive_mae"] if out["naive_mae"] else None
        plan.test_predictions = pred
        _add_baseline(out, sm, plan, baseline_budget, label)
        return out
    res = sm.evaluate(plan.test)
    res = {("n_test" if k == "n" else k): v for k, v in res.items()}
    res.update(plan.baselines())
    if sm.task == "classify":
        y = sm.encode_labels(plan.test.targets, "evaluate")
        p = sm.encode_labels(sm.predict(plan.test), "evaluate")
        res["confusion_matrix"] = M.confusion_matrix(y, p, sm.classes.size).tolist()
        res["classes"] = sm.classes.tolist()
    _add_baseline(res, sm, plan, baseline_budget, label)
    return res


BASELINE_SHARE = 0.1  # of the training's estimated duration
BASELINE_MIN_SECONDS = 5.0  # small data always gets its 1-NN DTW


def baseline_budget_for(sm, plan) -> float:
    """Seconds the cheap baseline may take: ``BASELINE_SHARE`` of the training's estimated duration.

    The estimate is the one `SequenceModel.fit` made for its XLA decision (``info["compilation"]``:
    step-time constants x the batch shapes x epochs); when fit did not run in this process (a resumed
    run with no epoch left), the same step-time model is applied to length-sorted batches of the
    training sequences. It depends only on the data and the setup, never on the wall clock.
    """
    from ..batching._shapes import sorted_epoch_seconds

    rec = sm.info.get("compilation") or {}
    est = rec.get("xla_s") if rec.get("jit_compile") else rec.get("graph_s")
    if est is None:
        training = (sm.info.get("choice") or {}).get("training") or {}
        epochs, batch = int(training.get("epochs") or 1), int(training.get("batch") or 32)
        est = epochs * sorted_epoch_seconds(plan.train.lengths if hasattr(plan, "train") else [], batch)
    return max(BASELINE_MIN_SECONDS, BASELINE_SHARE * float(est))


def _model_name(sm) -> str:
    return "GRU" if any("gru" in layer.name for layer in sm.model.layers) else "LSTM"


def _add_baseline(res: dict, sm, plan, budget: float, label=None) -> None:
    """``res["baseline"]``: the baseline's record, the model's score beside it, and what to try
    (options named by ``label(name, value=None)``: flags for the command line, keywords by default)."""
    label = label or (lambda name, value=None: option_label(None, name, value))  # keywords
    base = plan.baseline(budget)
    if base is None or base.get("name") is None:
        if base is not None:
            res["baseline"] = base
        return
    key = "accuracy" if sm.task == "classify" else "mae"
    if key not in res or key not in base:
        return
    higher = key == "accuracy"
    model, ref = float(res[key]), float(base[key])
    base.update(metric=key, model_name=_model_name(sm), model_score=model, gap=model - ref,
                beats_model=bool(ref > model if higher else ref < model))
    if base["beats_model"]:
        tips = []

        median = float(np.median(plan.train.lengths))
        kind = sm.restructure.kind if sm.restructure is not None else "none"
        if sm.task == "forecast":
            tips.append(f"another {label('window')} (this run: {plan.window})")
        elif median >= RESTRUCTURE_FROM and kind != "msconv":
            tips.append(label("frame", f"msconv:{msconv_size(median)}"))
        tips.append(f"more {label('epochs')}")
        tips.append(f"or use the baseline (seqfeed.baselines.{base['method']})")
        base["try"] = tips
    res["baseline"] = base


def baseline_headline(metrics) -> str | None:
    """The first line of the results when the baseline scores better than the model, else None."""
    b = metrics.get("baseline") or {}
    if not b.get("beats_model"):
        return None
    key, model = b["metric"], b.get("model_name", "LSTM")
    what = "accuracy" if key == "accuracy" else "MAE"
    tips = list(b.get("try", []))
    if tips and metrics.get("epochs_run") is not None:
        tips = [f"{t} (this run: {metrics['epochs_run']})" if t in ("more --epochs", "more epochs=") else t
                for t in tips]
    return (f"The baseline {b['name']} beats the {model}: test {what} {b[key]:.4f} vs the {model}'s "
            f"{b['model_score']:.4f} ({b['gap']:+.4f}). Try: {', '.join(tips)}.")
