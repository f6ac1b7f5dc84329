"""Plain NumPy metrics used by evaluation and the CLI (no TensorFlow needed)."""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "macro_f1", "confusion_matrix", "log_loss", "mae", "rmse"]


def accuracy(y_true, y_pred) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if y_true.size else float("nan")


def log_loss(y_true, proba, eps: float = 1e-12) -> float:
    """Mean of ``-log(proba[i, y_true[i]])`` (probabilities clipped to ``[eps, 1]``)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    if not y_true.size:
        return float("nan")
    p = np.clip(proba[np.arange(y_true.size), y_true], eps, 1.0)
    return float(-np.mean(np.log(p)))


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``(n_classes, n_classes)`` counts; rows are true classes, columns predictions."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return cm


def macro_f1(y_true, y_pred, n_classes: int | None = None) -> float:
    """Unweighted mean of per-class F1 over the classes present in ``y_true`` or ``y_pred``."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    k = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    cm = confusion_matrix(y_true, y_pred, k)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1) + cm.sum(axis=0)
    present = support > 0
    f1 = np.divide(2 * tp, support, out=np.zeros_like(tp), where=support > 0)
    return float(f1[present].mean()) if present.any() else float("nan")


def mae(y_true, y_pred) -> float:
    return float(np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))))


def rmse(y_true, y_pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2)))
