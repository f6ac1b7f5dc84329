"""Plain NumPy metrics used by evaluation and the CLI (no TensorFlow needed).

Inputs are checked: arrays of different shapes, labels that are not non-negative
integers, or probabilities of the wrong shape raise a :class:`~seqfeed.SeqfeedError`
naming the argument (never a NumPy broadcasting or indexing error).
"""

from __future__ import annotations

import numpy as np

from ._errors import ConfigError, DataError, ShapeError, check_int, shape_str

__all__ = ["accuracy", "macro_f1", "confusion_matrix", "log_loss", "mae", "rmse"]


def _array(op: str, name: str, a) -> np.ndarray:
    try:
        return np.asarray(a)
    except (ValueError, TypeError):
        raise DataError(f"{op}: `{name}` cannot be read as an array (ragged or mixed entries).",
                        argument=name, received=type(a).__name__,
                        fix="pass a rectangular numeric array (one entry per row)") from None


def _same_shape(op: str, y_true, y_pred, name: str = "y_pred"):
    t, p = _array(op, "y_true", y_true), _array(op, name, y_pred)
    if p.ndim == 0 and t.ndim:  # one prediction for every row (e.g. a majority baseline)
        p = np.broadcast_to(p, t.shape)
    elif t.shape != p.shape and t.size == p.size and tuple(d for d in t.shape if d != 1) == tuple(
            d for d in p.shape if d != 1):
        p = p.reshape(t.shape)  # (n,) against (n, 1): same values, no (n, n) broadcast
    if t.shape != p.shape:
        raise ShapeError(f"{op}: `y_true` has shape {shape_str(t.shape)} but `{name}` has "
                         f"{shape_str(p.shape)}.", argument=name, received=p.shape,
                         fix="pass one prediction per true value, in the same order")
    return t, p


def _labels(op: str, name: str, a: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """Non-negative integer class labels (integral floats accepted) as int64."""
    if a.ndim != 1:
        raise ShapeError(f"{op}: `{name}` must be 1-D (one class label per row). Received shape "
                         f"{shape_str(a.shape)}.", argument=name, received=a.shape,
                         fix="pass one class label per row as a 1-D array")
    if a.size == 0:
        return a.astype(np.int64) if a.dtype.kind in "biuf" else np.zeros(0, np.int64)
    ok = a.dtype.kind in "biu" or (a.dtype.kind == "f" and bool(np.all(np.isfinite(a)))
                                   and bool(np.all(a == np.round(a))))
    if not ok:
        k = 0
        if a.dtype.kind == "f":
            k = int(np.flatnonzero(~np.isfinite(a) | (a != np.round(a)))[0])
        raise DataError(f"{op}: `{name}` must hold integer class labels. Received dtype {a.dtype} "
                        f"(e.g. {a.flat[k]!r} at {k}).", argument=name, received=str(a.dtype), index=k,
                        fix="encode the classes as 0..n_classes-1 (e.g. np.unique(y, return_inverse=True))")
    lab = a.astype(np.int64)
    bad = np.flatnonzero((lab < 0) | (lab >= n_classes) if n_classes is not None else lab < 0)
    if bad.size:
        k = int(bad[0])
        rng = f"0..{n_classes - 1}" if n_classes is not None else ">= 0"
        raise DataError(f"{op}: `{name}[{k}]`={int(lab[k])} is not a class label in {rng}.",
                        argument=name, received=int(lab[k]), index=k,
                        fix="encode the classes as 0..n_classes-1" + (" or pass a larger n_classes"
                                                                     if n_classes is not None else ""))
    return lab


def _numbers(op: str, name: str, a: np.ndarray) -> np.ndarray:
    if a.dtype.kind not in "biuf":
        raise DataError(f"{op}: `{name}` must hold numbers. Received dtype {a.dtype}.", argument=name,
                        received=str(a.dtype), fix="pass numeric values (convert text labels to numbers first)")
    return a.astype(np.float64)


def accuracy(y_true, y_pred) -> float:
    """Share of rows where ``y_pred == y_true`` (NaN when there are no rows)."""
    t, p = _same_shape("accuracy", y_true, y_pred)
    return float(np.mean(t == p)) if t.size else float("nan")


def log_loss(y_true, proba, eps: float = 1e-12) -> float:
    """Mean of ``-log(proba[i, y_true[i]])`` (probabilities clipped to ``[eps, 1]``).

    ``y_true``: int ``(n,)`` labels in ``0..k-1``; ``proba``: ``(n, k)`` probabilities.
    """
    op = "log_loss"
    p = _array(op, "proba", proba)
    t = _array(op, "y_true", y_true)
    if p.ndim != 2 or p.shape[0] != t.reshape(-1).shape[0] or t.ndim != 1:
        raise ShapeError(f"{op}: `proba` must be (n, n_classes) for `y_true` of shape (n,). Received "
                         f"proba {shape_str(p.shape)}, y_true {shape_str(t.shape)}.", argument="proba",
                         received=p.shape,
                         fix="pass probabilities of shape (n, n_classes), one row per label of `y_true`")
    p = _numbers(op, "proba", p)
    lab = _labels(op, "y_true", t, p.shape[1])
    if not lab.size:
        return float("nan")
    if not np.isfinite(p).all():
        raise DataError(f"{op}: `proba` holds NaN or inf.", argument="proba",
                        fix="check the model's outputs")
    q = np.clip(p[np.arange(lab.size), lab], eps, 1.0)
    return float(-np.mean(np.log(q)))


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``(n_classes, n_classes)`` counts; rows are true classes, columns predictions."""
    op = "confusion_matrix"
    n_classes = check_int(op, "n_classes", n_classes, minimum=1)
    t, p = _same_shape(op, y_true, y_pred)
    t, p = _labels(op, "y_true", t, n_classes), _labels(op, "y_pred", p, n_classes)
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (t, p), 1)
    return cm


def macro_f1(y_true, y_pred, n_classes: int | None = None) -> float:
    """Unweighted mean of per-class F1 over the classes present in ``y_true`` or ``y_pred``."""
    op = "macro_f1"
    n_classes = check_int(op, "n_classes", n_classes, minimum=1, allow_none=True)
    t, p = _same_shape(op, y_true, y_pred)
    y_true, y_pred = _labels(op, "y_true", t, n_classes), _labels(op, "y_pred", p, n_classes)
    k = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    cm = confusion_matrix(y_true, y_pred, k)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1) + cm.sum(axis=0)
    present = support > 0
    f1 = np.divide(2 * tp, support, out=np.zeros_like(tp), where=support > 0)
    return float(f1[present].mean()) if present.any() else float("nan")


def mae(y_true, y_pred) -> float:
    """Mean absolute error (NaN when there are no rows)."""
    t, p = _same_shape("mae", y_true, y_pred)
    t, p = _numbers("mae", "y_true", t), _numbers("mae", "y_pred", p)
    return float(np.mean(np.abs(t - p))) if t.size else float("nan")


def rmse(y_true, y_pred) -> float:
    """Root mean squared error (NaN when there are no rows)."""
    t, p = _same_shape("rmse", y_true, y_pred)
    t, p = _numbers("rmse", "y_true", t), _numbers("rmse", "y_pred", p)
    return float(np.sqrt(np.mean((t - p) ** 2))) if t.size else float("nan")
