"""Task plans of the training recipe: leakage-free train/validation/test data, scaling and baselines."""

from __future__ import annotations

import time as _time

import numpy as np

from .._errors import ConfigError, DataError
from ..core import SequenceSet, gather_index

OP = "seqfeed.keras.train"


def needs_log(values: np.ndarray) -> bool:
    """True when a feature's magnitudes span orders of magnitude (99th pct / median of |x| > 100)."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    for f in range(v.shape[1]):
        col = v[:, f]
        nz = col[col > 0]
        if nz.size > 10 and np.percentile(nz, 99) / max(np.median(nz), 1e-12) > 100:
            return True
    return False


def build_scaler(train_steps: SequenceSet, normalize: str, log: bool):
    from ..transforms import Standardizer

    if normalize == "none" and not log:
        return None
    method = "per_sequence" if normalize == "per_sequence" else "global"
    scaler = Standardizer(method=method, transform="signed_log1p" if log else None)
    if normalize == "none":
        # log only: centre nothing, scale nothing -- fit a global scaler and neutralise it
        scaler.fit(train_steps)
        scaler.mean_ = np.zeros_like(scaler.mean_)
        scaler.std_ = np.ones_like(scaler.std_)
        return scaler
    return scaler.fit(train_steps)


# ------------------------------------------------------------------------------- sequences
class SequencePlan:
    """Classification, regression and tagging: whole sequences split by entity."""

    kind = "sequences"

    def __init__(self, task, train, val, test, *, test_source: str):
        self.task, self.train, self.val, self.test = task, train, val, test
        self.test_source = test_source
        self.created = _time.monotonic()  # the run's training time so far sets the baseline's budget

    def summary(self) -> str:
        L = self.train.lengths
        return (f"data: {len(self.train)} train / {len(self.val)} validation / {len(self.test)} test sequences "
                f"({self.test_source}), {self.train.n_features} features, lengths {int(L.min())}..{int(L.max())} "
                f"(median {float(np.median(L)):g})")

    def record(self) -> dict:
        return {"kind": self.kind, "n_train": len(self.train), "n_val": len(self.val), "n_test": len(self.test),
                "test_source": self.test_source, "n_features": self.train.n_features,
                "median_length": float(np.median(self.train.lengths))}

    def train_for_model(self, scaler):
        return self.train

    def val_for_model(self, scaler):
        return self.val

    def test_for_model(self, scaler):
        return self.test

    def scaler_data(self):
        return self.train

    def baselines(self) -> dict:
        """Cheap references an LSTM must beat (computed without TensorFlow)."""
        from .. import metrics as M

        if self.task == "classify":
            classes, counts = np.unique(self.train.targets, return_counts=True)
            majority = classes[np.argmax(counts)]
            out = {"baseline_majority_accuracy": M.accuracy(self.test.targets, majority)}
            a, b = mean_std_min_max_last(self.train), mean_std_min_max_last(self.test)
            mu, sd = a.mean(0), a.std(0) + 1e-9
            a, b = (a - mu) / sd, (b - mu) / sd
            d = (b * b).sum(1)[:, None] - 2 * b @ a.T + (a * a).sum(1)[None, :]
            out["baseline_1nn_summary_accuracy"] = M.accuracy(self.test.targets, self.train.targets[np.argmin(d, 1)])
            return out
        if self.task == "regress":
            y = np.asarray(self.test.targets, float)
            m = np.asarray(self.train.targets, float).mean(axis=0)
            return {"baseline_mean_mae": M.mae(y, np.broadcast_to(m, y.shape))}
        classes, counts = np.unique(self.train.step_targets, return_counts=True)
        return {"baseline_majority_accuracy": M.accuracy(self.test.step_targets, classes[np.argmax(counts)])}

    def baseline_sets(self):
        """``(train, test)`` for :func:`seqfeed.baselines.choose_baseline`: the training and validation
        sequences (all the model may learn from) against the same test sequences, raw values.

        Classification labels stored as floats become strings, so that the baselines treat them as
        labels (they read float targets as regression targets).
        """
        from ..core import SequenceSet as S

        train, test = S.concat([self.train, self.val]), self.test
        if self.task == "classify" and np.asarray(train.targets).dtype.kind in "fc":
            train = train.with_targets(np.asarray(train.targets).astype(str))
            test = test.with_targets(np.asarray(test.targets).astype(str))
        return train, test

    def baseline(self, budget_seconds: float) -> dict | None:
        """The strongest cheap baseline affordable in ``budget_seconds`` (None for tagging)."""
        if self.task == "tag":
            return None
        train, test = self.baseline_sets()
        return run_baseline(train, test, self.task, budget_seconds)


DTW_WINDOW = 0.1  # Sakoe-Chiba radius of the DTW baseline, as a fraction of the length (as in the suite)


def baseline_label(name: str, info: dict) -> str:
    """A readable name of a :class:`~seqfeed.baselines.BaselineResult`."""
    if name == "nn_dtw":
        return f"1-NN DTW (window {info.get('window', DTW_WINDOW):.0%})"
    if name == "seasonal_naive_forecast":
        seasons = sorted(set(info.get("seasons") or []))
        return f"seasonal naive (season {', '.join(map(str, seasons))})"
    return {"nn_euclidean": "1-NN Euclidean", "nn_summary": "1-NN on summary features",
            "ridge_summary": "ridge on summary features", "mean_regressor": "training mean",
            "naive_forecast": "naive (last value)"}.get(name, name)


def run_baseline(train, test, task: str, budget_seconds: float, *, horizon: int = 1) -> dict:
    """:func:`seqfeed.baselines.choose_baseline` on a split, as the record ``metrics.json`` keeps.

    The record holds ``name`` (readable), ``method`` (the function in :mod:`seqfeed.baselines`),
    its test metrics (``accuracy``, or ``mae`` and ``rmse``), ``seconds``, ``budget_seconds`` and
    what the choice was based on. For regression the training mean's errors are added
    (``mean_mae``, ``mean_rmse``) as a floor. A baseline that cannot run on the data records
    ``error`` instead of stopping a finished training run.
    """
    from .. import baselines as B
    from .._errors import SeqfeedError

    rec = {"budget_seconds": float(budget_seconds), "n_train": len(train), "n_test": len(test),
           "values": "raw (unscaled) values of the same split"}
    t0 = _time.perf_counter()
    try:
        r = B.choose_baseline(train, test, task, budget_seconds, window=DTW_WINDOW, horizon=horizon)
        if task == "regress":
            m = B.mean_regressor(train, test)
            rec.update(mean_mae=m.metrics["mae"], mean_rmse=m.metrics["rmse"])
    except SeqfeedError as e:
        rec.update(name=None, error=str(e), seconds=round(_time.perf_counter() - t0, 3))
        return rec
    rec.update(name=baseline_label(r.name, r.info), method=r.name, **r.metrics,
               seconds=round(_time.perf_counter() - t0, 3), choice=r.info.get("choice"))
    for k in ("window", "alpha", "seasons", "horizon"):
        if k in r.info:
            rec[k] = r.info[k]
    return rec


def mean_std_min_max_last(s: SequenceSet) -> np.ndarray:
    """Per sequence: mean, std, min, max and last value of every feature."""
    v = np.asarray(s.values, dtype=np.float64)
    starts = s.offsets[:-1]
    n = s.lengths[:, None].astype(float)
    mean = np.add.reduceat(v, starts, axis=0) / n
    seg = np.repeat(np.arange(len(s)), s.lengths)
    std = np.sqrt(np.add.reduceat((v - mean[seg]) ** 2, starts, axis=0) / n)
    return np.concatenate([mean, std, np.minimum.reduceat(v, starts, axis=0),
                           np.maximum.reduceat(v, starts, axis=0), v[s.offsets[1:] - 1]], axis=1)


def plan_sequences(loaded, test_loaded, args) -> SequencePlan:
    from ..transforms import split_by_entity

    seqs = loaded.seqs
    empty = np.flatnonzero(seqs.lengths == 0)
    if empty.size:
        raise DataError(f"{OP}: sequence {int(empty[0])} is empty.", argument="data",
                        index=int(empty[0]), fix="drop entities without rows")
    strat = "targets" if args.task == "classify" else None
    if test_loaded is not None:
        train_all, test, src = seqs, test_loaded.seqs, f"from {test_loaded.source}"
    elif loaded.test is not None:
        train_all, test, src = seqs, loaded.test, "the dataset's own test split"
    else:
        train_all, test = split_by_entity(seqs, test_fraction=args.test_fraction, stratify=strat, seed=args.seed)
        src = f"{args.test_fraction:g} of the entities, held out"
    train, val = split_by_entity(train_all, test_fraction=args.val_fraction, stratify=strat, seed=args.seed + 1)
    if not len(val) or not len(train):
        raise DataError(f"{OP}: too few sequences ({len(train_all)}) to split off a validation set.",
                        argument="val_fraction", received=len(train_all),
                        fix="train on more sequences, or pass a larger val_fraction=")
    return SequencePlan(args.task, train, val, test, test_source=src)


# ------------------------------------------------------------------------------- forecasting
def forecast_windows(seqs: SequenceSet, *, window: int, horizon: int, target_index: int, lo=None, hi=None):
    """Windows of ``window`` steps within each series and the next ``horizon`` values of the target.

    Only windows whose targets lie in ``[lo[i], hi[i])`` of series ``i`` are kept
    (inputs may reach further back: that is history, not leakage).
    Returns ``(X, y, info)``: X a SequenceSet of windows, y ``(n, horizon)``, info with
    ``source`` (series index) and ``target_start`` (step index within the series).
    """
    L = seqs.lengths
    n_win = np.maximum(L - window - horizon + 1, 0)
    src = np.repeat(np.arange(len(seqs)), n_win)
    first = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum(n_win, out=first[1:])
    s = np.arange(src.size, dtype=np.int64) - first[src]
    t = s + window
    keep = np.ones(src.size, dtype=bool)
    if lo is not None:
        keep &= t >= np.asarray(lo)[src]
    if hi is not None:
        keep &= t + horizon <= np.asarray(hi)[src]
    src, s, t = src[keep], s[keep], t[keep]
    g = seqs.offsets[:-1][src] + s
    values = seqs.values[gather_index(g, np.full(src.size, window), window * src.size)]
    X = SequenceSet(values, np.arange(src.size + 1, dtype=np.int64) * window, feature_names=seqs.feature_names,
                    ids=None if seqs.ids is None else seqs.ids[src])
    yi = (seqs.offsets[:-1][src] + t)[:, None] + np.arange(horizon)[None, :]
    y = np.asarray(seqs.values[:, target_index], dtype=np.float64)[yi] if src.size else np.zeros((0, horizon))
    return X, y, {"source": src, "target_start": t}


def scale_targets(scaler, y, target_index):
    if scaler is None:
        return y.astype(np.float32)
    return scaler.transform_values(np.asarray(y, dtype=np.float64), feature=target_index).astype(np.float32)


def unscale_targets(scaler, pred, plan_or_rec):
    j = plan_or_rec["target_index"] if isinstance(plan_or_rec, dict) else plan_or_rec.target_index
    pred = np.asarray(pred, dtype=np.float64)
    if pred.ndim == 3:
        pred = pred[..., 0]
    if scaler is None:
        return pred
    return scaler.inverse_transform_values(pred, feature=j)


def last_value_forecast(X: SequenceSet, plan) -> np.ndarray:
    """The last observed value of the target, repeated over the horizon."""
    last = np.asarray(X.values[X.offsets[1:] - 1, plan.target_index], dtype=np.float64)
    return np.repeat(last[:, None], plan.horizon, axis=1)


class ForecastPlan:
    """Forecasting: windows within each series, split by time (no window's target crosses a cutoff)."""

    kind = "forecast"

    def __init__(self, seqs, time, *, window, horizon, target_index, target_name, c_val, c_test, test_size):
        self.seqs, self.time = seqs, time
        self.window, self.horizon = window, horizon
        self.target_index, self.target_name = target_index, target_name
        self.c_val, self.c_test, self.test_size = c_val, c_test, test_size
        L = seqs.lengths
        kw = dict(window=window, horizon=horizon, target_index=target_index)
        self.train_X, self.train_y, _ = forecast_windows(seqs, **kw, hi=c_val)
        self.val_X, self.val_y, _ = forecast_windows(seqs, **kw, lo=c_val, hi=c_test)
        self.test_windows, self.test_targets, self.test_info = forecast_windows(seqs, **kw, lo=c_test, hi=L)
        self.test_predictions = None
        self.created = _time.monotonic()
        if not len(self.train_X) or not len(self.val_X) or not len(self.test_windows):
            raise DataError(
                f"{OP}: not enough steps for windows of {window} + horizon {horizon} in train "
                f"({len(self.train_X)}), validation ({len(self.val_X)}) and test ({len(self.test_windows)}).",
                argument="window", fix="use a shorter window=, a smaller test_size= or longer series")

    def summary(self) -> str:
        return (f"data: {len(self.seqs)} series, {int(self.seqs.lengths.sum())} steps; windows of {self.window} "
                f"steps -> next {self.horizon} of {self.target_name!r}: {len(self.train_X)} train / "
                f"{len(self.val_X)} validation / {len(self.test_windows)} test windows (test = last "
                f"{self.test_size} steps of each series)")

    def record(self) -> dict:
        return {"kind": self.kind, "window": self.window, "horizon": self.horizon,
                "target_index": self.target_index, "target_name": self.target_name, "test_size": self.test_size,
                "n_train": len(self.train_X), "n_val": len(self.val_X), "n_test": len(self.test_windows),
                "n_features": self.seqs.n_features, "median_length": float(self.window)}

    def scaler_data(self):
        idx = np.arange(len(self.seqs))
        starts = self.seqs.offsets[:-1]
        counts = np.asarray(self.c_val, dtype=np.int64)
        vals = self.seqs.values[gather_index(starts[idx], counts, int(counts.sum()))]
        offs = np.zeros(len(self.seqs) + 1, dtype=np.int64)
        np.cumsum(counts, out=offs[1:])
        return SequenceSet(vals, offs, feature_names=self.seqs.feature_names)

    def _scaled(self, X, y, scaler):
        Xs = scaler.transform(X) if scaler is not None else X
        return Xs.with_targets(scale_targets(scaler, y, self.target_index))

    def train_for_model(self, scaler):
        return self._scaled(self.train_X, self.train_y, scaler)

    def val_for_model(self, scaler):
        return self._scaled(self.val_X, self.val_y, scaler)

    def test_for_model(self, scaler):
        return scaler.transform(self.test_windows) if scaler is not None else self.test_windows

    @property
    def train(self):
        return self.train_X

    def baselines(self):
        return {}

    def baseline_sets(self):
        """``(history, continuation)`` of the target of every series, cut where the test windows' targets
        start: the baselines forecast exactly the model's test windows, in the same order."""
        j = self.target_index
        vals = np.asarray(self.seqs.values[:, [j]], dtype=np.float64)
        L, c = self.seqs.lengths, np.asarray(self.c_test, dtype=np.int64)
        starts = self.seqs.offsets[:-1]
        head = [vals[starts[i]:starts[i] + c[i]] for i in range(len(L))]
        tail = [vals[starts[i] + c[i]:starts[i] + L[i]] for i in range(len(L))]
        names = [self.target_name]
        return (SequenceSet.from_sequences(head, feature_names=names),
                SequenceSet.from_sequences(tail, feature_names=names))

    def baseline(self, budget_seconds: float) -> dict:
        train, test = self.baseline_sets()
        return run_baseline(train, test, "forecast", budget_seconds, horizon=self.horizon)


def plan_forecast(loaded, test_loaded, args) -> ForecastPlan:
    if test_loaded is not None:
        raise ConfigError(f"{OP}: forecasting holds out the final test_size= steps of each series; "
                          "test= is not used.", argument="test", fix="drop test= and set test_size=")
    seqs = loaded.seqs
    names = list(seqs.feature_names or [f"f{k}" for k in range(seqs.n_features)])
    target = args.target or loaded.options.get("target")
    if target is None:
        if seqs.n_features != 1:
            raise ConfigError(f"{OP}: which feature to forecast? The data has {seqs.n_features}: "
                              f"{', '.join(names)}.", argument="target", fix="pass target= with one of them")
        target = names[0]
    if target not in names:
        raise ConfigError(f"{OP}: target={target!r} is not a feature; features: {', '.join(names)}.",
                          argument="target", received=target, fix="pass target= with one of the features")
    j = names.index(target)
    L = seqs.lengths
    H = args.horizon
    test_size = args.test_size or max(H, int(round(0.2 * float(np.median(L)))))
    window = args.window or int(max(2 * H, min(48, float(np.median(L)) // 6)))
    c_test = L - test_size
    val_size = np.maximum(H, np.round(args.val_fraction * c_test).astype(np.int64))
    c_val = c_test - val_size
    if np.any(c_val <= window):
        i = int(np.argmax(c_val <= window))
        raise DataError(f"{OP}: series {i} has {int(L[i])} steps: too short for a window of {window}, "
                        f"validation {int(val_size[i])} and test {test_size} steps.", argument="window", index=i,
                        fix="use a shorter window= or a smaller test_size=")
    return ForecastPlan(seqs, loaded.time, window=window, horizon=H, target_index=j, target_name=target,
                        c_val=c_val, c_test=c_test, test_size=test_size)
