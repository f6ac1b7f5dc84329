"""Forecasting baselines: naive and seasonal naive, and the season of a series (see :mod:`seqfeed.baselines`)."""

from __future__ import annotations

import math
import time

import numpy as np

from ._baseline_common import BaselineResult, _check_pair
from ._checks import check_features
from ._errors import ConfigError, DataError, ShapeError, check_int
from .core import SequenceSet

__all__ = ["find_season", "naive_forecast", "seasonal_naive_forecast"]


def find_season(values, *, max_lag: int | None = None, min_acf: float = 0.2) -> int | None:
    """The dominant period of a series: the autocorrelation peak of its first differences.

    Among the local maxima of the sample autocorrelation of ``diff(values)`` at lags
    2 to ``max_lag`` (default a third of the length) that exceed both ``min_acf`` and
    ``2 / sqrt(n)``, the smallest lag whose autocorrelation is at least 0.8 times the
    highest (so a multiple of the period is not taken for it); None when there is no
    such maximum (no clear season).

    Example:
        >>> find_season(np.sin(2 * np.pi * np.arange(120) / 12))
        12
    """
    op = "find_season"
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(x)):
        raise DataError(f"{op}: `values` holds NaN or inf.", argument="values", received="NaN/inf",
                        fix="fill or drop missing values first")
    d = np.diff(x)
    n = d.size
    if n < 8:
        return None
    max_lag = min(n // 3 if max_lag is None else int(max_lag), n - 2)
    if max_lag < 3:
        return None
    d = d - d.mean()
    var = float(d @ d)
    if var <= 0:
        return None
    acf = np.array([float(d[:n - k] @ d[k:]) / var for k in range(max_lag + 2)])
    lags = np.arange(2, max_lag + 1)
    peaks = lags[(acf[lags] > acf[lags - 1]) & (acf[lags] >= acf[lags + 1])]
    threshold = max(min_acf, 2.0 / math.sqrt(n))
    peaks = peaks[acf[peaks] > threshold]
    # a season's peak comes after the autocorrelation has first turned negative; earlier local
    # maxima are noise on the decay from lag 0
    below = np.flatnonzero(acf[1:max_lag + 1] <= 0)
    peaks = peaks[peaks > below[0] + 1] if below.size else peaks[:0]
    if peaks.size == 0:
        return None
    # multiples of the period peak too (sometimes a little higher): take the first strong peak
    lag = int(peaks[np.flatnonzero(acf[peaks] >= 0.8 * acf[peaks].max())[0]])
    # noise moves an integer peak by a lag; of the neighbours keep the one the series repeats
    # best at: smallest spread of x[t] - x[t-k] around its mean (the mean absorbs a linear trend)
    near = [k for k in (lag - 1, lag, lag + 1) if 2 <= k <= max_lag]
    return min(near, key=lambda k: (_spread(x[k:] - x[:-k]), k != lag))


def _spread(s):
    return float(np.mean(np.abs(s - s.mean())))


def _forecast_check(op, train, test, horizon, target):
    train, test = _check_pair(op, train, test, task="forecast")
    if len(train) != len(test):
        raise ShapeError(f"{op}: `test` must hold the continuation of each training series: {len(test)} test "
                         f"series for {len(train)} training series.", argument="test", received=len(test),
                         fix="split each series at a cutoff: train = steps before it, test = steps from it on")
    horizon = check_int(op, "horizon", horizon, minimum=1)
    target = check_features(op, "target_feature", target, train.n_features, train.feature_names)
    if not isinstance(target, int):
        raise ConfigError(f"{op}: `target_feature` must be one feature (an index or a name). Received: "
                          f"target_feature={target!r}.", argument="target_feature", received=target,
                          fix=f"pass one of 0..{train.n_features - 1}")
    short = np.flatnonzero(test.lengths < horizon)
    if short.size:
        i = int(short[0])
        raise DataError(f"{op}: test series {i} has {int(test.lengths[i])} steps, fewer than horizon={horizon}.",
                        argument="horizon", received=horizon, index=i, fix="use a smaller horizon")
    return train, test, horizon, target


def _seasonal(train, test, horizon, target, seasons):
    """Forecasts of every window whose first target lies in the test part, with true history."""
    preds, ys = [], []
    for i in range(len(train)):
        h = np.asarray(train[i][:, target], dtype=np.float64)
        f = np.asarray(test[i][:, target], dtype=np.float64)
        full = np.concatenate([h, f])
        c = h.size
        s = seasons[i]
        starts = np.arange(c, full.size - horizon + 1)
        k = np.arange(horizon)
        # the value one season (or more, for k >= s) before each forecast step, known at time start - 1
        back = s * (k // s + 1)
        src = starts[:, None] + k[None, :] - back[None, :]
        preds.append(full[src])
        ys.append(full[starts[:, None] + k[None, :]])
    return np.concatenate(preds), np.concatenate(ys)


def _forecast_result(name, train, test, horizon, target, seasons, t0, info):
    pred, y = _seasonal(train, test, horizon, target, seasons)
    from . import metrics as M

    metrics = {"mae": M.mae(y, pred), "rmse": M.rmse(y, pred)}
    return BaselineResult(name, "forecast", pred, metrics, time.perf_counter() - t0, info)


def naive_forecast(train: SequenceSet, test: SequenceSet, *, horizon: int = 1,
                   target_feature: int | str = 0) -> BaselineResult:
    """The last observed value, repeated over the horizon.

    ``test[i]`` continues ``train[i]``. Forecasts are made from every origin whose
    first forecast step lies in the test part (one window per step, true history up
    to the origin), as ``seqfeed train --task forecast`` evaluates: ``predictions``
    ``(n_windows, horizon)``, series by series in time order. ``target_feature`` is the
    forecast feature (its index or name).
    """
    op = "naive_forecast"
    train, test, horizon, target = _forecast_check(op, train, test, horizon, target_feature)
    t0 = time.perf_counter()
    return _forecast_result(op, train, test, horizon, target, [1] * len(train), t0, {"horizon": horizon})


def seasonal_naive_forecast(train: SequenceSet, test: SequenceSet, *, season: int | None = None,
                            horizon: int = 1, target_feature: int | str = 0) -> BaselineResult:
    """The value one season earlier (the same step of the last season seen before the origin).

    Args:
        season: period in steps; None: :func:`find_season` on each training series
            (a series without a clear season falls back to the naive forecast, season 1).
        target_feature: the forecast feature (its index or name), as in :func:`naive_forecast`.

    ``info["seasons"]`` lists the season used for each series.
    """
    op = "seasonal_naive_forecast"
    train, test, horizon, target = _forecast_check(op, train, test, horizon, target_feature)
    if season is not None:
        season = check_int(op, "season", season, minimum=1)
        short = np.flatnonzero(train.lengths < season)
        if short.size:
            i = int(short[0])
            raise DataError(f"{op}: training series {i} has {int(train.lengths[i])} steps, fewer than one "
                            f"season ({season}).", argument="season", received=season, index=i,
                            fix="pass a shorter season, or season=None to detect it")
    t0 = time.perf_counter()
    if season is None:
        seasons = []
        for i in range(len(train)):
            s = find_season(train[i][:, target])
            seasons.append(s if s is not None and s <= train.lengths[i] else 1)
    else:
        seasons = [season] * len(train)
    return _forecast_result(op, train, test, horizon, target, seasons, t0,
                            {"horizon": horizon, "seasons": seasons})
