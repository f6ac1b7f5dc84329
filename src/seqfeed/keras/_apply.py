"""A trained recipe model applied to new data: metrics, and predictions as table columns.

Forecasting models carry their window, horizon, target feature and training-period scaler in
``model.info``; these functions use them, so new series need nothing else.
"""

from __future__ import annotations

import numpy as np

from .._errors import DataError
from ._tasks import forecast_windows, unscale_targets


def _forecast_scaler(sm):
    from ..transforms import Standardizer

    return Standardizer.from_dict(sm.info["forecast_scaler"]), sm.info["plan"]


def evaluate_model(sm, seqs, *, source: str = "data") -> dict:
    """Metrics of a trained model on labelled sequences (forecasting: on every window of the series).

    Classification/regression/tagging: :meth:`SequenceModel.evaluate`. Forecasting: ``n``, ``mae``,
    ``rmse`` and ``naive_mae`` (the last observed value repeated) over every window of each series.
    """
    if sm.task != "forecast":
        return sm.evaluate(seqs)
    from .. import metrics as M

    scaler, rec = _forecast_scaler(sm)
    X, y, _ = forecast_windows(seqs, window=rec["window"], horizon=rec["horizon"], target_index=rec["target_index"])
    if not len(X):
        raise DataError(f"evaluate_model: {source} is too short for one window of {rec['window']} steps plus "
                        f"{rec['horizon']} to forecast.", argument="data",
                        fix=f"pass series of at least {rec['window'] + rec['horizon']} steps")
    pred = unscale_targets(scaler, np.asarray(sm.predict_raw(scaler.transform(X))), rec)
    naive = np.repeat(X.values[X.offsets[1:] - 1, rec["target_index"]][:, None], rec["horizon"], axis=1)
    return {"n": int(len(y)), "mae": M.mae(y, pred), "rmse": M.rmse(y, pred), "naive_mae": M.mae(y, naive)}


def prediction_columns(sm, seqs, *, id_name: str = "id") -> dict:
    """Predictions as table columns (name -> 1-D array), one row per sequence (tagging: per step;
    forecasting: per step ahead). Ids come from ``seqs.ids``, else the sequence positions."""
    ids = seqs.ids if seqs.ids is not None else np.arange(len(seqs))
    if sm.task == "classify":
        raw = sm.predict_raw(seqs)
        cols = {id_name: ids, "prediction": sm.classes[np.argmax(raw, axis=1)]}
        cols.update({f"prob_{c}": raw[:, k] for k, c in enumerate(sm.classes)})
        return cols
    if sm.task == "regress":
        raw = np.asarray(sm.predict(seqs))
        if raw.ndim == 1:
            return {id_name: ids, "prediction": raw}
        return {id_name: ids, **{f"prediction_{k}": raw[:, k] for k in range(raw.shape[1])}}
    if sm.task == "tag":
        pred = sm.predict(seqs)
        return {id_name: np.repeat(ids, seqs.lengths),
                "step": np.concatenate([np.arange(n) for n in seqs.lengths]),
                "prediction": np.concatenate(pred) if pred else np.array([])}
    return _forecast_columns(sm, seqs, ids, id_name)


def _forecast_columns(sm, seqs, ids, id_name) -> dict:
    """The next ``horizon`` values after the last ``window`` steps of every series."""
    scaler, rec = _forecast_scaler(sm)
    W, H = rec["window"], rec["horizon"]
    short = np.flatnonzero(seqs.lengths < W)
    if short.size:
        i = int(short[0])
        raise DataError(f"prediction_columns: series {ids[i]!r} has {int(seqs.lengths[i])} steps; the model needs the "
                        f"last {W}.", argument="data", index=i, fix=f"pass series of at least {W} steps")
    lo = seqs.lengths - W  # every series' last window: its final W steps, no target after it
    X, _, _ = forecast_windows(seqs, window=W, horizon=0, target_index=rec["target_index"], lo=lo + W)
    pred = unscale_targets(scaler, np.asarray(sm.predict_raw(scaler.transform(X))), rec)
    return {id_name: np.repeat(ids, H), "step_ahead": np.tile(np.arange(1, H + 1), len(seqs)),
            "forecast": pred.reshape(-1)}
