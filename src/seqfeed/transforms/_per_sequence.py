"""Per-sequence z-normalisation: every sequence scaled by its own mean/std (nothing is fitted).

The ``method="per_sequence"`` of :class:`seqfeed.transforms.Standardizer`. It erases
amplitude differences between sequences; the fitted, global scaler is in ``_scale.py``.
"""

from __future__ import annotations

import numpy as np

from .._errors import warn
from ._real_steps import RealSteps, check_stats

__all__ = ["per_sequence_stats", "normalise_per_sequence", "segment_stats"]


def segment_stats(v: np.ndarray, starts: np.ndarray, lens: np.ndarray):
    """Per-segment mean and (population) std of ``v`` ``(N, F)``, vectorised; 0/0 for empty."""
    n, F = lens.shape[0], v.shape[1]
    sums = np.zeros((n, F))
    ss = np.zeros((n, F))
    full = lens > 0
    if v.shape[0]:
        # reduceat over the non-empty segments only: empty ones hold no rows in between
        sums[full] = np.add.reduceat(v, starts[full], axis=0)
    mean = sums / np.maximum(lens, 1)[:, None]
    if v.shape[0]:
        dev = v - np.repeat(mean, lens, axis=0)
        ss[full] = np.add.reduceat(dev * dev, starts[full], axis=0)
    return mean, np.sqrt(ss / np.maximum(lens, 1)[:, None])


def per_sequence_stats(r: RealSteps, v: np.ndarray, eps: float, *, stacklevel: int = 4):
    """Per-sequence (or per-row) ``(mean, std)`` ``(n, F)`` of ``v`` (``r``'s real steps, transformed).

    A (sequence, feature) pair whose std is ``<= eps`` is constant: its std becomes 1
    (values are only centred) with one warning; an empty sequence gets std 1.
    """
    starts, lens = r.segments()
    mean, std = segment_stats(v, starts, lens)
    check_stats("Standardizer", mean, std, r.feature_names, per="sequence" if r.kind in
                ("set", "series") else "row")
    const = (std <= eps) & (lens > 0)[:, None]
    if const.any():
        i, f = (int(a) for a in np.argwhere(const)[0])
        names = r.feature_names
        feat = repr(names[f]) if names else str(f)
        unit = "sequence" if r.kind in ("set", "series") else "row"
        warn(f"Standardizer: {int(const.sum())} (sequence, feature) pair(s) are constant within their "
             f"sequence (first: {unit} {i}, feature {feat}); their std is set to 1, so they are only "
             f"centred.", stacklevel=stacklevel)
    std = np.where(const | (lens == 0)[:, None], 1.0, std)
    return mean, std


def normalise_per_sequence(r: RealSteps, v: np.ndarray, eps: float) -> np.ndarray:
    """``v`` z-normalised by each sequence's own mean/std (``method="per_sequence"``), float64."""
    mean, std = per_sequence_stats(r, v, eps, stacklevel=5)
    lens = r.segments()[1]
    with np.errstate(over="ignore", invalid="ignore"):
        return (v - np.repeat(mean, lens, axis=0)) / np.repeat(std, lens, axis=0)
