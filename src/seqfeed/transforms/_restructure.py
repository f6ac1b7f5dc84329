"""Restructuring long sequences into fewer, richer steps: framing, pooling, frame summaries.

An LSTM's cost grows with every time step and its memory fades over hundreds of
them. The same data can be presented as ``time_steps x features`` differently:
``k`` consecutive raw steps become one step. All transforms here work per
sequence on the ragged core (never across sequences), on real steps only, and
are exact at sequence ends: the last, partial frame of a sequence is built from
its real steps alone (framing zero-fills its missing sub-steps, pooling and
summaries average/measure only what is there).
"""

from __future__ import annotations

import numpy as np

from .._errors import ConfigError, check_choice, check_int
from ..core import SequenceSet, as_sequence_set

__all__ = ["frame", "pool", "frame_summary", "frame_lengths", "parse_restructure", "apply_restructure",
           "describe_restructure"]

SUMMARY_STATS = ("mean", "std", "min", "max", "slope")


def frame_lengths(lengths, size: int, hop: int | None = None) -> np.ndarray:
    """Steps after restructuring: ``ceil(length / hop)`` (0 for an empty sequence)."""
    hop = hop or size
    lengths = np.asarray(lengths, dtype=np.int64)
    return -(-lengths // hop)


def _frame_starts(s: SequenceSet, hop: int):
    """Global start step of every frame, and the frame counts per sequence."""
    counts = frame_lengths(s.lengths, hop, hop)
    total = int(counts.sum())
    seq_of = np.repeat(np.arange(len(s)), counts)
    first = np.zeros(len(s) + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    j = np.arange(total, dtype=np.int64) - first[seq_of]
    starts = s.offsets[:-1][seq_of] + j * hop
    ends = s.offsets[1:][seq_of]
    return starts, ends, first, seq_of


def _out_dtype(s: SequenceSet):
    """Float inputs keep their dtype; int/bool become float32."""
    return s.values.dtype if s.values.dtype.kind == "f" else np.dtype(np.float32)


def _new_set(s: SequenceSet, values, offsets, names):
    return SequenceSet(values, offsets, targets=s.targets, ids=s.ids, feature_names=names)


def frame(seqs, size: int, *, hop: int | None = None) -> SequenceSet:
    """Frames of ``size`` steps become the features of one step.

    ``(T, F)`` -> ``(ceil(T / hop), size * F)``; frame ``j`` holds raw steps
    ``j * hop .. j * hop + size - 1`` in order (step-major: features of the first
    step, then of the second, ...). Sub-steps past the end of the sequence are
    zero. ``hop`` defaults to ``size`` (no overlap). Per-step targets are dropped.

    Example:
        >>> s = frame(SequenceSet.from_sequences([np.arange(5.0)]), 2)
        >>> s[0]
        array([[0., 1.],
               [2., 3.],
               [4., 0.]])
    """
    size = check_int("frame", "size", size, minimum=1)
    hop = check_int("frame", "hop", hop if hop is not None else size, minimum=1)
    s = as_sequence_set(seqs, _op="frame")
    starts, ends, first, _ = _frame_starts(s, hop)
    F = s.n_features
    pos = starts[:, None] + np.arange(size)[None, :]
    valid = pos < ends[:, None]
    out = np.zeros((starts.size, size, F), dtype=_out_dtype(s))
    out[valid] = s.values[pos[valid]]
    names = None
    if s.feature_names:
        names = [f"{n}@{k}" for k in range(size) for n in s.feature_names]
    return _new_set(s, out.reshape(starts.size, size * F), first, names)


def _reduce(s: SequenceSet, factor: int, op: str):
    starts, ends, first, _ = _frame_starts(s, factor)
    v = s.values.astype(np.float64, copy=False)
    counts = np.minimum(ends - starts, factor)
    if starts.size == 0:
        return np.zeros((0, s.n_features)), counts, first, starts
    if op == "mean":
        r = np.add.reduceat(v, starts, axis=0) / counts[:, None]
    elif op == "max":
        r = np.maximum.reduceat(v, starts, axis=0)
    elif op == "min":
        r = np.minimum.reduceat(v, starts, axis=0)
    else:  # pragma: no cover
        raise AssertionError(op)
    return r, counts, first, starts


def pool(seqs, factor: int, *, how: str = "mean") -> SequenceSet:
    """Pool every ``factor`` steps into one: ``(T, F)`` -> ``(ceil(T / factor), F)``.

    ``how="mean"`` or ``"max"`` over the real steps of each group only (the last
    group of a sequence may be shorter).

    Example:
        >>> pool(SequenceSet.from_sequences([np.arange(5.0)]), 2)[0][:, 0]
        array([0.5, 2.5, 4. ])
    """
    factor = check_int("pool", "factor", factor, minimum=1)
    check_choice("pool", "how", how, ("mean", "max"))
    s = as_sequence_set(seqs, _op="pool")
    r, _, first, _ = _reduce(s, factor, how)
    return _new_set(s, r.astype(_out_dtype(s)), first, s.feature_names)


def frame_summary(seqs, size: int, *, stats=SUMMARY_STATS) -> SequenceSet:
    """Summary features of each frame of ``size`` steps: ``(T, F)`` -> ``(ceil(T / size), len(stats) * F)``.

    ``stats`` from ``mean, std, min, max, slope`` (least-squares slope per step),
    computed over the frame's real steps only (std and slope of a one-step frame
    are 0). Feature order: all features' first statistic, then the second, ...
    """
    size = check_int("frame_summary", "size", size, minimum=1)
    for st in stats:
        check_choice("frame_summary", "stats", st, SUMMARY_STATS)
    s = as_sequence_set(seqs, _op="frame_summary")
    mean, counts, first, starts = _reduce(s, size, "mean")
    out = []
    v = s.values.astype(np.float64, copy=False)
    n = counts[:, None].astype(np.float64)
    if starts.size:
        seg = np.repeat(np.arange(starts.size), counts)
        t = (np.arange(v.shape[0]) - np.repeat(starts, counts)).astype(np.float64)[:, None]
        dev = v - mean[seg]
        var = np.add.reduceat(dev * dev, starts, axis=0) / n
        tbar = (counts[:, None] - 1) / 2.0
        tdev = t - tbar[seg]
        sxx = np.add.reduceat(tdev * tdev, starts, axis=0)
        sxy = np.add.reduceat(tdev * dev, starts, axis=0)
        slope = np.divide(sxy, sxx, out=np.zeros_like(sxy), where=sxx > 0)
    else:
        var = slope = mean
    for st in stats:
        if st == "mean":
            out.append(mean)
        elif st == "std":
            out.append(np.sqrt(np.maximum(var, 0)))
        elif st == "min":
            out.append(_reduce(s, size, "min")[0])
        elif st == "max":
            out.append(_reduce(s, size, "max")[0])
        else:
            out.append(np.broadcast_to(slope, mean.shape))
    values = np.concatenate(out, axis=1).astype(_out_dtype(s)) if out else np.zeros((starts.size, 0))
    names = None
    if s.feature_names:
        names = [f"{st}({n})" for st in stats for n in s.feature_names]
    return _new_set(s, values, first, names)


# --------------------------------------------------------------------------- specs
def parse_restructure(spec: str | None) -> dict:
    """``"none"``, ``"frame:K"``, ``"frame:K:H"`` (hop H), ``"pool:K"``, ``"maxpool:K"``,
    ``"summary:K"``, ``"conv:K"`` (a strided Conv1D front-end in the model) or ``"msconv:K"`` (a masked
    multi-scale Conv1D front-end of stride K in the model, see
    :class:`seqfeed.keras.MaskedMultiScaleConv1D`) -> a dict."""
    if spec in (None, "", "none"):
        return {"kind": "none"}
    kind, _, rest = spec.partition(":")
    kinds = ("frame", "pool", "maxpool", "summary", "conv", "msconv")
    if kind not in kinds or not rest:
        raise ConfigError(f"restructure: cannot read {spec!r}.", argument="frame", received=spec,
                          fix="use none, auto, frame:K, frame:K:HOP, pool:K, maxpool:K, summary:K, conv:K or msconv:K")
    parts = rest.split(":")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise ConfigError(f"restructure: {spec!r} needs integer sizes.", argument="frame", received=spec) from None
    if any(n < 1 for n in nums) or len(nums) > (2 if kind == "frame" else 1):
        raise ConfigError(f"restructure: sizes in {spec!r} must be >= 1.", argument="frame", received=spec)
    d = {"kind": kind, "size": nums[0]}
    if kind == "frame" and len(nums) == 2:
        d["hop"] = nums[1]
    return d


def describe_restructure(spec: dict) -> str:
    k = spec.get("kind", "none")
    if k == "none":
        return "none (one raw step per LSTM step)"
    if k == "frame":
        return f"frames of {spec['size']} raw steps (hop {spec.get('hop', spec['size'])}) as features of one step"
    if k == "pool":
        return f"mean pooling by {spec['size']}"
    if k == "maxpool":
        return f"max pooling by {spec['size']}"
    if k == "summary":
        return f"mean/std/min/max/slope of frames of {spec['size']} steps"
    if k == "msconv":
        return f"masked multi-scale Conv1D front-end (stride {spec['size']}) in the model"
    return f"strided Conv1D front-end (stride {spec['size']}) in the model"


def apply_restructure(seqs, spec: dict) -> SequenceSet:
    """Apply a parsed spec to the data (``conv`` and ``msconv`` are applied by the model: data unchanged)."""
    k = spec.get("kind", "none")
    if k in ("none", "conv", "msconv"):
        return as_sequence_set(seqs, _op="apply_restructure")
    if k == "frame":
        return frame(seqs, spec["size"], hop=spec.get("hop"))
    if k == "pool":
        return pool(seqs, spec["size"], how="mean")
    if k == "maxpool":
        return pool(seqs, spec["size"], how="max")
    if k == "summary":
        return frame_summary(seqs, spec["size"])
    raise ConfigError(f"apply_restructure: unknown kind {k!r}.", argument="spec", received=k)
