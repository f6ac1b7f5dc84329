"""What every baseline shares: the result record, input checks and metrics (see :mod:`seqfeed.baselines`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import check_float
from . import _dtw
from ._errors import ConfigError, DataError, ShapeError, check_choice
from .core import SequenceSet

_ENGINES = ("auto", "numba", "numpy")


@dataclass
class BaselineResult:
    """What a baseline predicted on the test set.

    Attributes:
        name: the baseline (e.g. ``"nn_dtw"``).
        task: ``"classify"``, ``"regress"`` or ``"forecast"``.
        predictions: one per test sequence (classify/regress), or ``(n_windows, horizon)``
            for forecasting (series by series, in time order).
        metrics: ``{"accuracy"}`` (classify) or ``{"rmse", "mae"}`` (regress, forecast)
            when the test targets are known, else empty.
        seconds: wall time of the baseline.
        info: details (window, season, alpha, pairs computed, ...).
    """

    name: str
    task: str
    predictions: np.ndarray
    metrics: dict = field(default_factory=dict)
    seconds: float = 0.0
    info: dict = field(default_factory=dict)

    def score(self) -> float | None:
        """The headline metric: accuracy (higher is better) or rmse/mae (lower is better)."""
        key = {"classify": "accuracy", "regress": "rmse", "forecast": "mae"}[self.task]
        return self.metrics.get(key)


def _check_set(op: str, name: str, s, *, targets: bool) -> SequenceSet:
    if not isinstance(s, SequenceSet):
        raise ConfigError(f"{op}: `{name}` must be a SequenceSet. Received a {type(s).__name__}.",
                          argument=name, received=type(s).__name__,
                          fix="build one with seqfeed.SequenceSet.from_sequences(...) or seqfeed.as_sequence_set(...)")
    if len(s) == 0:
        raise DataError(f"{op}: `{name}` holds no sequences.", argument=name, received=0,
                        fix=f"pass a non-empty {name} set")
    empty = np.flatnonzero(s.lengths == 0)
    if empty.size:
        i = int(empty[0])
        raise DataError(f"{op}: `{name}` sequence {i} is empty (0 steps).", argument=name, received=0, index=i,
                        fix="drop empty sequences first (e.g. s.take(s.lengths > 0))")
    if s.values.dtype.kind not in "biuf":  # pragma: no cover - SequenceSet already checks
        raise DataError(f"{op}: `{name}` values must be numbers.", argument=name, received=str(s.values.dtype))
    bad = ~np.isfinite(s.values) if s.values.dtype.kind == "f" else None
    if bad is not None and bad.any():
        step = int(np.flatnonzero(bad.any(axis=1))[0])
        i = int(np.searchsorted(s.offsets, step, side="right") - 1)
        raise DataError(f"{op}: `{name}` sequence {i} holds NaN or inf (step {step - int(s.offsets[i])}).",
                        argument=name, received="NaN/inf", index=i,
                        fix="fill or drop missing values first (e.g. the CLI's --nan ffill)")
    if targets and s.targets is None:
        raise DataError(f"{op}: `{name}` has no targets; a baseline predicts the training targets.",
                        argument=name, received=None, fix=f"give {name} targets (SequenceSet(..., targets=y))")
    return s


def _check_pair(op: str, train, test, *, task: str | None = None):
    train = _check_set(op, "train", train, targets=task != "forecast")
    test = _check_set(op, "test", test, targets=False)
    if train.n_features != test.n_features:
        raise ShapeError(f"{op}: `test` has {test.n_features} features, `train` has {train.n_features}.",
                         argument="test", received=test.n_features,
                         fix="give both sets the same features in the same order")
    if task == "regress":
        _regression_targets(op, train.targets, "train")
    return train, test


def _regression_targets(op, y, name):
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise DataError(f"{op}: `{name}` targets must be numbers for regression. Received dtype {y.dtype}.",
                        argument=name, received=str(y.dtype), fix="use a classification baseline for labels")
    y = y.astype(np.float64)
    if not np.all(np.isfinite(y)):
        i = int(np.flatnonzero(~np.isfinite(y.reshape(len(y), -1)).any(axis=1))[0])
        raise DataError(f"{op}: `{name}` target {i} is NaN or inf.", argument=name, index=i,
                        received="NaN/inf", fix="drop the sequences whose target is missing")
    return y


def _check_window(op: str, window) -> float:
    """The Sakoe-Chiba band as a fraction of the longer sequence's length, in [0, 1]."""
    return check_float(op, "window", window, low=0, high=1,
                       fix="pass e.g. window=0.1 (10%), 0 for no warping, 1 for unconstrained DTW")


def _engine(op: str, engine) -> str:
    check_choice(op, "engine", engine, _ENGINES)
    if engine == "numpy":
        return "numpy"
    if _dtw.have_numba():
        return "numba"
    if engine == "numba":
        raise ConfigError(f"{op}: engine='numba' needs the numba package, which is not installed.",
                          argument="engine", received=engine,
                          fix="pip install 'seqfeed[fast]', or pass engine='auto' to use the NumPy engine")
    return "numpy"


def _metrics(task: str, test: SequenceSet, predictions) -> dict:
    if test.targets is None:
        return {}
    from . import metrics as M

    if task == "classify":
        return {"accuracy": M.accuracy(np.asarray(test.targets), predictions)}
    y = _regression_targets("baseline", test.targets, "test")
    return {"rmse": M.rmse(y, predictions), "mae": M.mae(y, predictions)}


def _task_of(train: SequenceSet) -> str:
    return "classify" if np.asarray(train.targets).dtype.kind not in "fc" else "regress"
