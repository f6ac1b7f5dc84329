"""Train/test splits without leakage: by entity (seeded, stratified) and by time (cutoff + gap)."""

from __future__ import annotations

import numbers

import numpy as np

from .._checks import check_float
from .._errors import ConfigError, DataError, ShapeError, check_int, shape_str
from ..core import SequenceSet
from ._common import as_series_or_set, readonly, step_positions
from ._windows import Windows, check_window_options, make_windows

__all__ = ["split_by_entity", "split_by_time", "split_windows_by_time"]


# ---------------------------------------------------------------------------------------------
# By entity
# ---------------------------------------------------------------------------------------------
def split_by_entity(data, *, test_fraction=0.2, stratify=None, seed=0, return_indices=False):
    """Split the sequences of a set into train and test, keeping each entity on one side.

    An entity is one sequence, or, when the set has ``ids``, every sequence sharing an
    id (so two recordings of the same patient never land on both sides). The split
    is a seeded permutation of the entities: the same ``seed`` gives the same split.

    Args:
        data: a :class:`SequenceSet`.
        test_fraction: share of the entities in the test side, ``0 < f < 1``; the test
            side gets ``round(f * n_entities)`` entities, at least 1 and at most
            ``n_entities - 1``.
        stratify: None; ``"targets"`` (the set's per-sequence targets); or an array of
            one label per sequence. Each class is split in the same proportion (largest
            remainders decide the rounding) and every class with >= 2 entities has at
            least one on each side. Each class gets the floor or the ceiling of its
            ideal share ``f * n_class``, so the test size may move off
            ``round(f * n_entities)`` (e.g. many 2-member classes with a small ``f``).
            Sequences of one entity must share a label.
        seed: int >= 0.
        return_indices: return sorted int64 sequence indices instead of sets.

    Returns:
        ``(train, test)``: two :class:`SequenceSet` (``data.take`` of sorted indices, so
        the original order is kept), or two index arrays.

    Example:
        >>> s = SequenceSet.from_sequences([[float(i)] for i in range(10)], targets=[0] * 5 + [1] * 5)
        >>> tr, te = split_by_entity(s, test_fraction=0.4, stratify="targets", seed=1)
        >>> len(tr), len(te), sorted(te.targets.tolist())
        (6, 4, [0, 0, 1, 1])
    """
    op = "split_by_entity"
    f = _check_fraction(op, test_fraction)
    if not (stratify is None or (isinstance(stratify, str) and stratify == "targets")
            or not isinstance(stratify, str)):
        raise ConfigError(f"{op}: `stratify` must be None, 'targets' or an array of labels. Received: "
                          f"stratify={stratify!r}.", argument="stratify", received=stratify)
    seed = check_int(op, "seed", seed, minimum=0)
    if not isinstance(data, SequenceSet):
        raise ConfigError(f"{op}: `data` must be a SequenceSet. Received type {type(data).__name__}.",
                          argument="data", received=type(data).__name__,
                          fix="build one with `seqfeed.as_sequence_set(...)`")
    n = len(data)
    labels = None
    if isinstance(stratify, str):
        if data.targets is None:
            raise ConfigError(f"{op}: stratify='targets' needs a set with `targets`. Received a set "
                              f"without targets.", argument="stratify",
                              fix="pass the labels as stratify=array, or build the set with targets=")
        labels = data.targets
    elif stratify is not None:
        labels = np.asarray(stratify)
    if labels is not None and (labels.ndim != 1 or labels.shape[0] != n):
        raise ShapeError(f"{op}: stratification labels must be 1-D, one per sequence ({n}). Received "
                         f"shape {shape_str(labels.shape)}.", argument="stratify", received=labels.shape,
                         fix="pass one class label per sequence (e.g. argmax of one-hot targets)")

    # entities: unique ids (first-seen order does not matter: they are permuted)
    if data.ids is not None:
        _, group = np.unique(data.ids, return_inverse=True)
        group = group.reshape(-1)
    else:
        group = np.arange(n)
    G = int(group.max()) + 1 if n else 0
    if G < 2:
        raise DataError(f"{op}: at least 2 entities are needed to split. Received {G}.",
                        argument="data", received=G)
    rng = np.random.default_rng(seed)
    n_test = min(max(int(round(f * G)), 1), G - 1)
    if labels is None:
        test_groups = rng.permutation(G)[:n_test]
        is_test_group = np.zeros(G, dtype=bool)
        is_test_group[test_groups] = True
    else:
        _, lab = np.unique(labels, return_inverse=True)
        lab = lab.reshape(-1)
        glab = np.full(G, -1, dtype=np.int64)
        glab[group[::-1]] = lab[::-1]  # an entity's label is that of its first sequence
        bad = np.flatnonzero(glab[group] != lab)
        if bad.size:
            i = int(bad[0])
            eid = data.ids[i]
            eid = eid.item() if isinstance(eid, np.generic) else eid
            raise DataError(f"{op}: sequence {i} has a different label from other sequences of its "
                            f"entity (id {eid!r}); an entity cannot be split by class.",
                            argument="stratify", index=i,
                            fix="stratify by one label per entity, or drop `ids` to split per sequence")
        is_test_group = _stratified(glab, f, n_test, rng)
    test_mask = is_test_group[group]
    train_idx = np.flatnonzero(~test_mask)
    test_idx = np.flatnonzero(test_mask)
    if return_indices:
        return train_idx, test_idx
    return data.take(train_idx), data.take(test_idx)


def _check_fraction(op, value) -> float:
    return check_float(op, "test_fraction", value, low=0, high=1, low_open=True, high_open=True)


def _stratified(labels: np.ndarray, f: float, n_test: int, rng) -> np.ndarray:
    """bool ``(G,)``: test membership, class proportions kept, both sides for classes >= 2."""
    G = labels.shape[0]
    counts = np.bincount(labels)
    ideal = counts * f
    t = np.floor(ideal).astype(np.int64)
    lower = np.where(counts >= 2, 1, 0)
    upper = np.where(counts >= 2, counts - 1, counts)
    t = np.clip(t, lower, upper)
    # round up by largest remainder (ties at random) until the requested size; a class never goes
    # above ceil(its ideal share), nor below floor(ideal) -- classes forced up to 1 may overshoot
    cap = np.maximum(t, np.minimum(upper, np.ceil(ideal).astype(np.int64)))
    rem = ideal - np.floor(ideal)
    tie = rng.random(counts.shape[0])
    diff = n_test - int(t.sum())
    if diff > 0:
        room = np.flatnonzero(t < cap)
        order = room[np.lexsort((tie[room], -rem[room]))]
        t[order[:diff]] += 1
    # within each class: a seeded random order, the first t[c] go to test
    order = np.lexsort((rng.random(G), labels))
    first_of_class = np.zeros(counts.shape[0], dtype=np.int64)
    np.cumsum(counts[:-1], out=first_of_class[1:])
    sorted_lab = labels[order]
    rank = np.arange(G) - first_of_class[sorted_lab]
    out = np.zeros(G, dtype=bool)
    out[order] = rank < t[sorted_lab]
    return out


# ---------------------------------------------------------------------------------------------
# By time
# ---------------------------------------------------------------------------------------------
def _check_time_options(op, cutoff, gap, time):
    """Options only: with no ``time`` the cutoff and gap are step counts."""
    if time is None:
        if isinstance(cutoff, (numbers.Integral,)) and not isinstance(cutoff, bool):
            check_int(op, "cutoff", cutoff, minimum=0)
        elif isinstance(cutoff, (np.ndarray, list, tuple)):
            c = np.asarray(cutoff)
            if c.ndim != 1 or c.dtype.kind not in "iu" or (c.size and c.min() < 0):
                raise ConfigError(f"{op}: a per-sequence `cutoff` must be a 1-D array of step indices "
                                  f">= 0. Received dtype {c.dtype}, shape {shape_str(c.shape)}.",
                                  argument="cutoff", received=c.shape)
        else:
            raise ConfigError(f"{op}: without `time`, `cutoff` is a step index (int >= 0) or one per "
                              f"sequence. Received: cutoff={cutoff!r}.", argument="cutoff", received=cutoff,
                              fix="pass time=... to cut at a time value")
        check_int(op, "gap", gap, minimum=0)
        return
    try:
        negative = bool(np.any(np.asarray(gap) < np.zeros((), dtype=np.asarray(gap).dtype)))
    except TypeError:
        negative = True
    if negative or np.asarray(gap).ndim:
        raise ConfigError(f"{op}: `gap` must be a scalar >= 0 (in the units of `time`). Received: "
                          f"gap={gap!r}.", argument="gap", received=gap)


def _cut_points(op, s: SequenceSet, cutoff, gap, time):
    """int64 ``(n,)`` train ends ``k`` and test starts ``j`` (positions within each sequence)."""
    n = len(s)
    L = s.lengths
    if np.ndim(cutoff) == 1 and np.shape(cutoff)[0] != n:
        raise ShapeError(f"{op}: a per-sequence `cutoff` needs one entry per sequence ({n}). Received "
                         f"shape {shape_str(np.shape(cutoff))}.", argument="cutoff", received=np.shape(cutoff))
    if np.ndim(cutoff) > 1:
        raise ShapeError(f"{op}: `cutoff` must be a scalar or 1-D (one per sequence). Received shape "
                         f"{shape_str(np.shape(cutoff))}.", argument="cutoff", received=np.shape(cutoff))
    if time is None:
        c = np.asarray(cutoff, dtype=np.int64)
        k = np.minimum(c, L)
        j = np.minimum(c + int(gap), L)
        return np.broadcast_to(k, (n,)).copy(), np.broadcast_to(j, (n,)).copy()
    t = np.asarray(time)
    if t.shape != (s.n_steps,):
        raise ShapeError(f"{op}: `time` must be 1-D with one entry per step ({s.n_steps}). Received shape "
                         f"{shape_str(t.shape)}.", argument="time", received=t.shape)
    missing = np.isnat(t) if t.dtype.kind in "mM" else (np.isnan(t) if t.dtype.kind == "f" else None)
    if missing is not None and missing.any():
        g = int(np.flatnonzero(missing)[0])
        i = int(np.searchsorted(s.offsets, g, side="right") - 1)
        raise DataError(f"{op}: `time` is missing at sequence {i}, step {g - int(s.offsets[i])}.",
                        argument="time", index=i, fix="drop or fill steps without a time stamp")
    pos = step_positions(s)
    if t.size > 1:
        back = np.flatnonzero((t[1:] < t[:-1]) & (pos[1:] > 0))
        if back.size:
            g = int(back[0]) + 1
            i = int(np.searchsorted(s.offsets, g, side="right") - 1)
            raise DataError(
                f"{op}: `time` must be non-decreasing within each sequence; sequence {i} goes back in "
                f"time at step {g - int(s.offsets[i])} ({t[g - 1]!r} -> {t[g]!r}).",
                argument="time", index=i, fix="sort each sequence by time first")
    try:
        c = np.asarray(cutoff)
        per_step = np.repeat(c, L) if c.ndim == 1 else c
        below = t < per_step
        below_gap = t < per_step + gap
    except TypeError:  # includes NumPy's UFuncTypeError / DTypePromotionError
        raise ConfigError(f"{op}: `cutoff`={cutoff!r} and `gap`={gap!r} cannot be compared with `time` "
                          f"of dtype {t.dtype}.", argument="cutoff", received=cutoff,
                          fix="use the same type as `time` (e.g. np.datetime64 with a np.timedelta64 gap)"
                          ) from None
    seq_of = np.repeat(np.arange(n), L)
    k = np.bincount(seq_of, weights=below, minlength=n).astype(np.int64)
    j = np.bincount(seq_of, weights=below_gap, minlength=n).astype(np.int64)
    return k, j


def split_by_time(data, *, cutoff, gap=0, time=None, return_indices=False):
    """Split one series, or every sequence of a set, at a time cutoff.

    Train gets the steps with ``time < cutoff``; test gets the steps with
    ``time >= cutoff + gap`` (the steps in between are dropped, so that features
    computed over a lag cannot leak). Without ``time`` a step's time is its position
    within its sequence.

    Args:
        data: ONE series (NumPy ``(T,)`` / ``(T, F)``, axis 0 is time), or a
            :class:`SequenceSet` (each sequence is cut on its own).
        cutoff: without ``time``: a step index (int >= 0), or one per sequence
            (int array ``(n,)``). With ``time``: a value comparable with ``time``
            (e.g. ``np.datetime64``), or one per sequence.
        gap: steps (or ``time`` units, e.g. ``np.timedelta64``) left out after the cutoff.
        time: optional, one time stamp per step: ``(T,)`` for a series, ``(N_steps,)``
            aligned with ``values`` for a set; non-decreasing within each sequence.
        return_indices: return int64 row indices (into the series, or into
            ``values`` for a set) instead of data.

    Returns:
        ``(train, test)``. For a series: read-only views ``data[:k]`` and ``data[j:]``.
        For a set: two new sets holding EVERY sequence (so ``train[i]`` and ``test[i]``
        both belong to ``seqs[i]``, with its targets and id); a sequence with no step on
        one side is empty there (drop those with ``s.take(s.lengths > 0)``).

    Example:
        >>> tr, te = split_by_time(np.arange(10), cutoff=6, gap=2)
        >>> tr, te
        (array([0, 1, 2, 3, 4, 5]), array([8, 9]))
    """
    op = "split_by_time"
    _check_time_options(op, cutoff, gap, time)
    if not isinstance(return_indices, (bool, np.bool_)):
        raise ConfigError(f"{op}: `return_indices` must be True or False. Received: "
                          f"return_indices={return_indices!r}.", argument="return_indices")
    s, single = as_series_or_set(op, data)
    if single and np.ndim(cutoff) == 1:
        raise ShapeError(f"{op}: a per-sequence `cutoff` needs a SequenceSet; `data` is one series.",
                         argument="cutoff", received=np.shape(cutoff))
    k, j = _cut_points(op, s, cutoff, gap, time)
    if single:
        kk, jj = int(k[0]), int(j[0])
        if return_indices:
            return np.arange(kk, dtype=np.int64), np.arange(jj, s.n_steps, dtype=np.int64)
        arr = data if isinstance(data, np.ndarray) else np.asarray(data)
        return readonly(arr[:kk]), readonly(arr[jj:])
    pos = step_positions(s)
    seq_of = np.repeat(np.arange(len(s)), s.lengths)
    train_mask = pos < k[seq_of]
    test_mask = pos >= j[seq_of]
    if return_indices:
        return np.flatnonzero(train_mask), np.flatnonzero(test_mask)
    return _subset_steps(s, train_mask, k), _subset_steps(s, test_mask, s.lengths - j)


def _subset_steps(s: SequenceSet, mask: np.ndarray, counts: np.ndarray) -> SequenceSet:
    offsets = np.zeros(len(s) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return SequenceSet(s.values[mask], offsets, targets=s.targets,
                       step_targets=None if s.step_targets is None else s.step_targets[mask],
                       ids=s.ids, feature_names=s.feature_names)


def split_windows_by_time(data, length, *, cutoff, gap=0, time=None, context=False, stride=1,
                          sampling_rate=1, horizon=0, target="next", target_features=None,
                          drop_incomplete=True) -> tuple[Windows, Windows]:
    """Windows for a time split: no train window crosses the cutoff, no test target precedes it.

    Both results index the ORIGINAL sequences (``source``/``start`` as in
    :func:`sliding_windows`, whose options these are), so predictions map back.

    * Train windows: every input AND target step has ``time < cutoff``; starts on the
      stride grid from each sequence's first step.
    * Test windows, ``context=False``: every step (inputs and targets) has
      ``time >= cutoff + gap``; starts on the stride grid from the first such step.
    * Test windows, ``context=True``: only the targets must be ``>= cutoff + gap``;
      the inputs may reach back before the cutoff (up to ``length`` steps of history,
      as known at prediction time), so the first test target is the first step at
      or after ``cutoff + gap``. Targets then step by ``stride`` from there.
      Without forecast targets (``target`` ``"sequence"``/None) the window's last step
      plays the role of the target.

    Args:
        data, cutoff, gap, time: as in :func:`split_by_time`.
        length, stride, sampling_rate, horizon, target, target_features, drop_incomplete:
            as in :func:`sliding_windows`.
        context: let test windows take their inputs from before the cutoff.

    Returns:
        ``(train, test)``: two :class:`Windows` over the same source set.

    Example:
        >>> tr, te = split_windows_by_time(np.arange(10.0), 3, cutoff=6, context=True)
        >>> tr.x[..., 0].tolist(), tr.y[:, 0].tolist()
        ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [3.0, 4.0, 5.0])
        >>> te.x[..., 0].tolist(), te.y[:, 0].tolist()
        ([[3.0, 4.0, 5.0], [4.0, 5.0, 6.0], [5.0, 6.0, 7.0], [6.0, 7.0, 8.0]], [6.0, 7.0, 8.0, 9.0])
    """
    op = "split_windows_by_time"
    L, stride, rate, horizon = check_window_options(op, length, stride, sampling_rate, horizon, target,
                                                    target_features, drop_incomplete)
    if not isinstance(context, (bool, np.bool_)):
        raise ConfigError(f"{op}: `context` must be True or False. Received: context={context!r}.",
                          argument="context", received=context)
    _check_time_options(op, cutoff, gap, time)
    s, single = as_series_or_set(op, data)
    if single and np.ndim(cutoff) == 1:
        raise ShapeError(f"{op}: a per-sequence `cutoff` needs a SequenceSet; `data` is one series.",
                         argument="cutoff", received=np.shape(cutoff))
    k, j = _cut_points(op, s, cutoff, gap, time)
    common = dict(L=L, stride=stride, rate=rate, horizon=horizon, target=target,
                  target_features=target_features, drop_incomplete=bool(drop_incomplete))
    train = make_windows(op, s, hi=k, **common)
    if context:
        span = (L - 1) * rate + 1
        first = j - (span - 1) - (1 if target == "next" else 0)
        test = make_windows(op, s, first=first, lo=np.zeros_like(j), anchor_min=j, **common)
    else:
        test = make_windows(op, s, first=j, lo=j, anchor_min=j, **common)
    return train, test
