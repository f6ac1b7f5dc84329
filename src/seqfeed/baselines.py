"""Cheap baselines on the same train/test split as a model: what an LSTM has to beat.

Every function takes a training and a test :class:`~seqfeed.SequenceSet` (the
training set with ``targets``) and returns a :class:`BaselineResult` with the test
predictions and, when the test set has targets, its metrics:

* classification: :func:`nn_euclidean`, :func:`nn_dtw`, :func:`nn_summary`
  (metric ``accuracy``);
* regression: :func:`mean_regressor`, :func:`ridge_summary` (and the nearest
  neighbours, which predict the neighbour's target; metrics ``rmse`` and ``mae``);
* forecasting: :func:`naive_forecast`, :func:`seasonal_naive_forecast`
  (metrics ``mae`` and ``rmse``); here ``test`` holds the continuation of each
  training series (``test[i]`` follows ``train[i]``).

:func:`choose_baseline` picks, on the training data alone, the strongest of them that
fits a time budget (:func:`dtw_cost_seconds` estimates 1-NN DTW). Classification
targets are the labels of any non-float dtype; float targets make the nearest
neighbours regressors. Only NumPy is imported with this module;
numba (the ``fast`` extra) is imported on the first DTW call, and without it a
NumPy engine computes the same distances more slowly.

Example:
    >>> import numpy as np
    >>> from seqfeed import SequenceSet
    >>> train = SequenceSet.from_sequences([[0.0, 0, 1, 2], [5.0, 5, 5]], targets=np.array(["up", "flat"]))
    >>> test = SequenceSet.from_sequences([[0.0, 1, 2, 2, 2], [5.0, 5]], targets=np.array(["up", "flat"]))
    >>> nn_dtw(test=test, train=train, window=1.0, engine="numpy").predictions.tolist()
    ['up', 'flat']
"""

from __future__ import annotations

import numbers
import time

import numpy as np

from ._checks import check_float
from . import _dtw
from ._baseline_common import (BaselineResult, _check_pair, _check_set, _check_window, _engine, _metrics,
                               _regression_targets, _task_of)
from ._errors import ConfigError, DataError, ShapeError, check_choice
from ._forecast_baselines import _forecast_check, find_season, naive_forecast, seasonal_naive_forecast
from .core import SequenceSet

__all__ = [
    "BaselineResult",
    "choose_baseline",
    "dtw_cost_seconds",
    "dtw_distance",
    "dtw_distances",
    "find_season",
    "mean_regressor",
    "naive_forecast",
    "nn_dtw",
    "nn_euclidean",
    "nn_summary",
    "ridge_summary",
    "seasonal_naive_forecast",
    "summary_features",
]

_TASKS = ("classify", "regress", "forecast")


# ----------------------------------------------------------------------------- nearest neighbours
def _align(op: str, sets, length: int, align: str) -> list[np.ndarray]:
    """Each set as a dense ``(n, length, F)`` float64 array, resampled or padded with its last value."""
    out = []
    for s in sets:
        L = s.lengths
        if align == "resample":
            pos = np.linspace(0.0, 1.0, length)[None, :] * (L - 1)[:, None]  # (n, length)
            lo = np.floor(pos).astype(np.int64)
            hi = np.minimum(lo + 1, (L - 1)[:, None])
            frac = (pos - lo)[..., None]
            base = s.offsets[:-1, None]
            v = np.asarray(s.values, dtype=np.float64)
            out.append(v[base + lo] * (1 - frac) + v[base + hi] * frac)
        else:  # "pad": steps past a sequence's end repeat its last value
            idx = np.minimum(np.arange(length)[None, :], (L - 1)[:, None]) + s.offsets[:-1, None]
            out.append(np.asarray(s.values, dtype=np.float64)[idx])
    return out


def _sq_dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances ``(len(A), len(B))`` of flattened rows (float64, clipped at 0)."""
    centre = B.reshape(len(B), -1).mean(axis=0)  # distances do not change; cancellation does
    A = A.reshape(len(A), -1) - centre
    B = B.reshape(len(B), -1) - centre
    d = (A * A).sum(axis=1)[:, None] + (B * B).sum(axis=1)[None, :] - 2.0 * (A @ B.T)
    return np.maximum(d, 0.0)


def _predict_nearest(train: SequenceSet, idx: np.ndarray) -> np.ndarray:
    y = np.asarray(train.targets)
    return y[idx]


def nn_euclidean(train: SequenceSet, test: SequenceSet, *, align: str = "pad") -> BaselineResult:
    """1-nearest neighbour under the Euclidean distance.

    Equal lengths: the plain Euclidean distance over all steps and features.
    Variable lengths are made equal first, to the longest sequence of either set:

    * ``align="pad"`` (default): each sequence is extended by repeating its last value
      (1-NN on JapaneseVowels: 0.960 with last-value padding, 0.916 with zeros);
    * ``align="resample"``: each sequence is linearly interpolated onto that many
      evenly spaced points between its first and last step.

    Ties go to the training sequence that comes first.

    Args:
        train: training sequences ``(T_i, F)`` with ``targets``.
        test: test sequences with the same ``F`` (``targets`` optional, for metrics).

    Returns:
        BaselineResult named ``"nn_euclidean"``; ``info["index"]`` holds the neighbours.
    """
    op = "nn_euclidean"
    check_choice(op, "align", align, ("pad", "resample"))
    train, test = _check_pair(op, train, test)
    t0 = time.perf_counter()
    length = int(max(train.lengths.max(), test.lengths.max()))
    A, B = _align(op, (test, train), length, align)
    idx = np.argmin(_sq_dist(A, B), axis=1)
    pred = _predict_nearest(train, idx)
    task = _task_of(train)
    return BaselineResult(op, task, pred, _metrics(task, test, pred), time.perf_counter() - t0,
                          {"align": align, "length": length, "index": idx})


def nn_dtw(train: SequenceSet, test: SequenceSet, *, window: float = 0.1, engine: str = "auto") -> BaselineResult:
    """1-nearest neighbour under dynamic time warping with a Sakoe-Chiba window.

    Multivariate sequences use dependent DTW (the cost of matching two steps is the
    squared Euclidean distance of their feature vectors). Sequences may differ in
    length: the band follows the straight line between the two ends (see
    :func:`dtw_distance`). With the numba engine and equal lengths, candidates are
    visited in LB_Keogh order and hopeless ones are abandoned early; the result is
    the same as the exhaustive search. Ties go to the training sequence that comes first.

    Args:
        train: training sequences with ``targets``.
        test: test sequences with the same number of features.
        window: band radius as a fraction of the longer sequence's length, in ``[0, 1]``
            (0: no warping, i.e. squared Euclidean for equal lengths; 1: unconstrained).
        engine: ``"auto"`` (numba when installed), ``"numba"`` or ``"numpy"``.

    Returns:
        BaselineResult named ``"nn_dtw"``; ``info`` has ``index``, ``distance``,
        ``pairs_computed`` and ``engine``.
    """
    op = "nn_dtw"
    window = _check_window(op, window)
    eng = _engine(op, engine)
    train, test = _check_pair(op, train, test)
    t0 = time.perf_counter()
    idx, dist, computed = _dtw.nearest(test.values, test.offsets, train.values, train.offsets, window, eng)
    pred = _predict_nearest(train, idx)
    task = _task_of(train)
    return BaselineResult(op, task, pred, _metrics(task, test, pred), time.perf_counter() - t0,
                          {"window": window, "engine": eng, "index": idx, "distance": dist,
                           "pairs_computed": computed, "pairs": len(train) * len(test)})


def dtw_distance(a, b, *, window: float = 0.1, engine: str = "auto") -> float:
    """DTW distance of two sequences ``(T_a, F)`` and ``(T_b, F)`` (1-D arrays: one feature).

    The sum of squared step differences along the cheapest warping path inside a
    Sakoe-Chiba band of radius ``floor(window * max(T_a, T_b))`` steps. For unequal
    lengths the band is centred on the straight line between ``(0, 0)`` and
    ``(T_a - 1, T_b - 1)`` (each row of the longer sequence, rounded half up), so a
    path exists for every window; the distance is symmetric, ``>= 0``, 0 for identical
    sequences, and with ``window=0`` and equal lengths it is ``sum((a - b) ** 2)``.

    Example:
        >>> dtw_distance([0.0, 1.0, 2.0], [0.0, 1.0, 1.0, 2.0], window=1.0, engine="numpy")
        0.0
    """
    op = "dtw_distance"
    window = _check_window(op, window)
    eng = _engine(op, engine)
    arrs = []
    for name, x in (("a", a), ("b", b)):
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(f"{op}: `{name}` must be a numeric array (T,) or (T, F).", argument=name,
                            received=type(x).__name__) from None
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[0] == 0:
            raise ShapeError(f"{op}: `{name}` must have shape (T,) or (T, F) with T >= 1. "
                             f"Received shape {x.shape}.", argument=name, received=x.shape)
        if not np.all(np.isfinite(x)):
            raise DataError(f"{op}: `{name}` holds NaN or inf.", argument=name, received="NaN/inf",
                            fix="fill or drop missing values first")
        arrs.append(x)
    if arrs[0].shape[1] != arrs[1].shape[1]:
        raise ShapeError(f"{op}: `a` has {arrs[0].shape[1]} features, `b` has {arrs[1].shape[1]}.",
                         argument="b", received=arrs[1].shape)
    r = _dtw.radius(window, arrs[0].shape[0], arrs[1].shape[0])
    return _dtw.pair_distance(arrs[0], arrs[1], r, eng)


def dtw_distances(x: SequenceSet, y: SequenceSet, *, window: float = 0.1, engine: str = "auto") -> np.ndarray:
    """All DTW distances ``(len(x), len(y))`` between two sets (see :func:`dtw_distance`)."""
    op = "dtw_distances"
    window = _check_window(op, window)
    eng = _engine(op, engine)
    x = _check_set(op, "x", x, targets=False)
    y = _check_set(op, "y", y, targets=False)
    if x.n_features != y.n_features:
        raise ShapeError(f"{op}: `y` has {y.n_features} features, `x` has {x.n_features}.", argument="y",
                         received=y.n_features)
    return _dtw.distance_matrix(x.values, x.offsets, y.values, y.offsets, window, eng)


# ----------------------------------------------------------------------------- summary features
_STATS = ("mean", "std", "min", "max", "slope", "logamp_mean", "logamp_std", "logamp_max")


def summary_features(data: SequenceSet) -> tuple[np.ndarray, list[str]]:
    """Per-sequence summary statistics: ``(n, 8 * F + 1)`` float64 and their names.

    Per feature ``f``: mean, std, min, max, slope (least-squares slope against time
    scaled to [0, 1]; 0 for one step), and of the log-amplitude ``log1p(|x|)`` the
    mean, std and max; then ``log_length`` (the log of the number of steps).
    Names are ``"<feature>:<stat>"``.

    Example:
        >>> X, names = summary_features(SequenceSet.from_sequences([[1.0, 2.0, 3.0]]))
        >>> dict(zip(names, X[0].round(3)))["dim_0:slope"]
        np.float64(2.0)
    """
    op = "summary_features"
    data = _check_set(op, "data", data, targets=False)
    v = np.asarray(data.values, dtype=np.float64)
    L = data.lengths.astype(np.float64)
    start = data.offsets[:-1]
    n = len(data)
    rep = np.repeat(np.arange(n), data.lengths)

    def seg_mean(x):
        return np.add.reduceat(x, start, axis=0) / L[:, None]

    mean = seg_mean(v)
    centred = v - mean[rep]
    std = np.sqrt(seg_mean(centred * centred))
    vmin = np.minimum.reduceat(v, start, axis=0)
    vmax = np.maximum.reduceat(v, start, axis=0)
    k = np.arange(v.shape[0]) - np.repeat(start, data.lengths)  # step index within its sequence
    t = k / np.maximum(L - 1, 1)[rep]
    tc = t - seg_mean(t[:, None])[rep, 0]
    denom = np.add.reduceat(tc * tc, start)
    slope = np.add.reduceat(tc[:, None] * centred, start, axis=0) / np.where(denom > 0, denom, 1.0)[:, None]
    slope[denom == 0] = 0.0
    la = np.log1p(np.abs(v))
    la_mean = seg_mean(la)
    la_c = la - la_mean[rep]
    la_std = np.sqrt(seg_mean(la_c * la_c))
    la_max = np.maximum.reduceat(la, start, axis=0)
    blocks = [mean, std, vmin, vmax, slope, la_mean, la_std, la_max]
    F = v.shape[1]
    feats = np.stack(blocks, axis=2).reshape(n, F * len(blocks))  # feature-major: f0 stats, f1 stats, ...
    names_f = list(data.feature_names or [f"dim_{j}" for j in range(F)])
    names = [f"{nf}:{st}" for nf in names_f for st in _STATS] + ["log_length"]
    return np.concatenate([feats, np.log(L)[:, None]], axis=1), names


def _standardised(train: SequenceSet, test: SequenceSet):
    A, names = summary_features(train)
    B, _ = summary_features(test)
    mu = A.mean(axis=0)
    sd = A.std(axis=0)
    keep = sd > 1e-12 * np.maximum(1.0, np.abs(mu))
    A = (A[:, keep] - mu[keep]) / sd[keep]
    B = (B[:, keep] - mu[keep]) / sd[keep]
    return A, B, [n for n, k in zip(names, keep) if k]


def nn_summary(train: SequenceSet, test: SequenceSet) -> BaselineResult:
    """1-nearest neighbour on :func:`summary_features`, each standardised with the training mean and std.

    Features constant on the training set are dropped. Ties go to the training
    sequence that comes first.
    """
    op = "nn_summary"
    train, test = _check_pair(op, train, test)
    t0 = time.perf_counter()
    A, B, names = _standardised(train, test)
    if A.shape[1] == 0:
        idx = np.zeros(len(test), dtype=np.int64)
    else:
        idx = np.argmin(_sq_dist(B, A), axis=1)
    pred = _predict_nearest(train, idx)
    task = _task_of(train)
    return BaselineResult(op, task, pred, _metrics(task, test, pred), time.perf_counter() - t0,
                          {"features": names, "index": idx})


# ----------------------------------------------------------------------------- regression
def mean_regressor(train: SequenceSet, test: SequenceSet) -> BaselineResult:
    """Predict the mean training target for every test sequence."""
    op = "mean_regressor"
    train, test = _check_pair(op, train, test, task="regress")
    t0 = time.perf_counter()
    y = _regression_targets(op, train.targets, "train")
    pred = np.repeat(y.mean(axis=0, keepdims=True), len(test), axis=0)
    return BaselineResult(op, "regress", pred, _metrics("regress", test, pred), time.perf_counter() - t0,
                          {"mean": y.mean(axis=0).tolist()})


def ridge_summary(train: SequenceSet, test: SequenceSet, *, alphas=None) -> BaselineResult:
    """Ridge regression on standardised :func:`summary_features`, penalty chosen by leave-one-out error.

    Closed form through one SVD of the centred training features: for each ``alpha``
    the exact leave-one-out residuals are ``e_i / (1 - h_ii)`` (``h`` the hat matrix,
    intercept included, unpenalised); the ``alpha`` with the smallest mean squared
    leave-one-out residual is used. Targets may be ``(n,)`` or ``(n, k)``.

    Args:
        alphas: candidate penalties (positive); default 41 values, log-spaced from
            ``1e-6`` to ``1e4`` times the largest squared singular value.
    """
    op = "ridge_summary"
    train, test = _check_pair(op, train, test, task="regress")
    if alphas is not None:
        a = np.asarray(alphas, dtype=np.float64).reshape(-1)
        if a.size == 0 or not np.all(np.isfinite(a)) or np.any(a <= 0):
            raise ConfigError(f"{op}: `alphas` must be a non-empty list of positive numbers. Received {alphas!r}.",
                              argument="alphas", received=alphas, fix="pass e.g. alphas=[0.1, 1, 10], or None")
    t0 = time.perf_counter()
    y = _regression_targets(op, train.targets, "train")
    y2 = y.reshape(len(y), -1)
    A, B, names = _standardised(train, test)
    n = len(A)
    y_mean = y2.mean(axis=0)
    yc = y2 - y_mean
    if A.shape[1] == 0:
        pred2 = np.repeat(y_mean[None], len(B), axis=0)
        alpha = None
    else:
        U, s, Vt = np.linalg.svd(A, full_matrices=False)  # A is centred (standardised on train)
        s2 = s * s
        grid = (np.asarray(alphas, dtype=np.float64).reshape(-1) if alphas is not None
                else s2.max() * np.logspace(-6, 4, 41))
        Uty = U.T @ yc
        best = (np.inf, None)
        for alpha in grid:
            shrink = s2 / (s2 + alpha)
            fitted = U @ (shrink[:, None] * Uty)
            h = (U * U) @ shrink + 1.0 / n
            loo = (yc - fitted) / np.maximum(1.0 - h, 1e-12)[:, None]
            err = float(np.mean(loo * loo))
            if err < best[0]:
                best = (err, float(alpha))
        alpha = best[1]
        coef = Vt.T @ ((s / (s2 + alpha))[:, None] * Uty)
        pred2 = B @ coef + y_mean
    pred = pred2 if y.ndim == 2 else pred2[:, 0]
    return BaselineResult(op, "regress", pred, _metrics("regress", test, pred), time.perf_counter() - t0,
                          {"alpha": alpha, "features": names})


# ----------------------------------------------------------------------------- cost and choice
# CPU time of the exhaustive all-pairs computation, measured on a 2-core x86-64 machine (numba 0.68, NumPy 2.4):
# seconds = pairs * (cells_per_pair * (A + B * (features - 1)) + C) + compile. numba: 2.3-3.4 ns per cell on
# ACSF1, OSULeaf and PigCVP (smooth real signals), 7-8 ns on white noise (unpredictable branches); the NumPy
# engine 30-120 ns per cell. With nn_dtw's pruning (LB_Keogh order, early abandoning) the search took 7.8x less
# CPU time than the exhaustive one on PigCVP (7.2 s), 4.3x on ACSF1 and 10x on OSULeaf.
_COST = {"numba": (3.5e-9, 0.35e-9, 0.5e-6, 1.5), "numpy": (110e-9, 5e-9, 5e-6, 0.0)}


def dtw_cost_seconds(n_train: int, n_test: int, length: int, window: float = 0.1, *, n_features: int = 1,
                     engine: str = "auto") -> float:
    """Expected seconds of :func:`nn_dtw` without pruning (an upper bound: pruning saved 4-10x on real sets).

    ``length`` is the typical (e.g. mean) sequence length; the band has
    ``min(length, 2 * floor(window * length) + 1)`` cells per row. Includes a one-off
    compile time for the numba engine.

    Example:
        >>> round(dtw_cost_seconds(100, 100, 100, 0.1, engine="numpy"), 2)
        2.36
    """
    op = "dtw_cost_seconds"
    for name, v in (("n_train", n_train), ("n_test", n_test), ("length", length), ("n_features", n_features)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ConfigError(f"{op}: `{name}` must be an integer >= 1. Received: {name}={v!r}.",
                              argument=name, received=v)
    window = _check_window(op, window)
    eng = _engine(op, engine)
    a, b, c, compile_s = _COST[eng]
    width = min(length, 2 * _dtw.radius(window, length, length) + 1)
    cells = length * width
    return float(n_train * n_test * (cells * (a + b * (n_features - 1)) + c) + compile_s)


def _loo_accuracy(d: np.ndarray, y: np.ndarray) -> float:
    """Leave-one-out 1-NN accuracy from a square training distance matrix (self excluded, ties: first)."""
    d = np.array(d, dtype=np.float64)
    np.fill_diagonal(d, np.inf)
    return float(np.mean(y[np.argmin(d, axis=1)] == y))


def _backtest_mae(train: SequenceSet, horizon: int, seasons) -> float:
    """One-step(-horizon) MAE over the final fifth of each training series (its own history only)."""
    from ._forecast_baselines import _seasonal

    cut = np.maximum(np.maximum(np.asarray(seasons), 1), (0.8 * train.lengths).astype(np.int64))
    cut = np.minimum(cut, train.lengths - horizon)
    if np.any(cut < 1):
        return float("inf")
    head = SequenceSet.from_sequences([train[i][:cut[i]] for i in range(len(train))])
    tail = SequenceSet.from_sequences([train[i][cut[i]:] for i in range(len(train))])
    pred, y = _seasonal(head, tail, horizon, 0, list(seasons))
    return float(np.mean(np.abs(pred - y)))


def choose_baseline(train: SequenceSet, test: SequenceSet, task: str, budget_seconds: float, *,
                    window: float = 0.1, horizon: int = 1) -> BaselineResult:
    """The strongest cheap baseline that fits ``budget_seconds``, chosen on the training data only, run on the test set.

    * ``"classify"``: among 1-NN DTW (``window``; only when :func:`dtw_cost_seconds` for
      the test set plus the leave-one-out pass fits the budget), 1-NN Euclidean and 1-NN
      on summary features, the one with the best leave-one-out accuracy on the
      training set (ties in that order);
    * ``"regress"``: ridge on summary features (the mean when there are fewer than 3
      training sequences);
    * ``"forecast"``: seasonal naive when every training series has a season and
      seasonal naive has the lower error when backtested on the final fifth of the
      training series, else naive (``test`` continues ``train``).

    ``info["choice"]`` records what the choice was based on.

    Example:
        >>> t = np.arange(60.0)
        >>> x = np.sin(2 * np.pi * t / 6)
        >>> r = choose_baseline(SequenceSet.from_sequences([x[:48]]), SequenceSet.from_sequences([x[48:]]),
        ...                     "forecast", 1.0)
        >>> r.name, r.info["choice"]["seasons"], round(r.metrics["mae"], 6)
        ('seasonal_naive_forecast', [6], 0.0)
    """
    op = "choose_baseline"
    check_choice(op, "task", task, _TASKS)
    check_float(op, "budget_seconds", budget_seconds, low=0, low_open=True, fix="pass e.g. budget_seconds=30")
    window = _check_window(op, window)
    t0 = time.perf_counter()
    if task == "forecast":
        train, test, horizon, _ = _forecast_check(op, train, test, horizon, 0)
        seasons = [find_season(train[i][:, 0]) for i in range(len(train))]
        choice = {"seasons": seasons}
        res = None
        if all(s is not None and s > 1 for s in seasons):
            choice["backtest_mae"] = {"seasonal_naive_forecast": _backtest_mae(train, horizon, seasons),
                                      "naive_forecast": _backtest_mae(train, horizon, [1] * len(train))}
            if choice["backtest_mae"]["seasonal_naive_forecast"] < choice["backtest_mae"]["naive_forecast"]:
                res = seasonal_naive_forecast(train, test, horizon=horizon)
        if res is None:
            res = naive_forecast(train, test, horizon=horizon)
        res.info["choice"] = choice
        res.seconds = time.perf_counter() - t0
        return res
    train, test = _check_pair(op, train, test, task=task)
    if task == "regress":
        res = ridge_summary(train, test) if len(train) >= 3 else mean_regressor(train, test)
        res.info["choice"] = {"n_train": len(train)}
        return res
    length = max(1, int(round(float(np.mean(np.concatenate([train.lengths, test.lengths]))))))
    est = (dtw_cost_seconds(len(train), len(test), length, window, n_features=train.n_features)
           + dtw_cost_seconds(len(train), len(train), length, window, n_features=train.n_features))
    y = np.asarray(train.targets)
    choice = {"dtw_estimated_seconds": est, "budget_seconds": float(budget_seconds), "loo_accuracy": {}}
    loo = choice["loo_accuracy"]
    if len(train) >= 2:
        if est <= budget_seconds:
            loo["nn_dtw"] = _loo_accuracy(dtw_distances(train, train, window=window), y)
        length_all = int(max(train.lengths.max(), test.lengths.max()))
        (A,) = _align(op, (train,), length_all, "pad")
        loo["nn_euclidean"] = _loo_accuracy(_sq_dist(A, A), y)
        S, _, _ = _standardised(train, train)
        loo["nn_summary"] = _loo_accuracy(_sq_dist(S, S), y) if S.shape[1] else 0.0
        best = max(loo, key=lambda k: loo[k])  # dict order = preference on ties
    else:
        best = "nn_dtw" if est <= budget_seconds else "nn_euclidean"
    run = {"nn_dtw": lambda: nn_dtw(train, test, window=window), "nn_euclidean": lambda: nn_euclidean(train, test),
           "nn_summary": lambda: nn_summary(train, test)}[best]
    res = run()
    res.info["choice"] = choice
    res.seconds = time.perf_counter() - t0
    return res
