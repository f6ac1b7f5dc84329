"""Row order of a long table: group rows by id, order them by time within each id.

Everything here is vectorised NumPy; no loop runs per row or per id. The fast path
packs ``(group, time, row)`` into one uint64 per row and sorts the keys themselves
(``ndarray.sort`` is a SIMD sort, several times faster than ``argsort``): the row
bits make every key unique, so the result is the stable order, and the row number is
read back from the low bits. When the three do not fit in 64 bits, times are made
relative to each group's first time (and divided by their common step); failing
that, a stable ``argsort``/``lexsort`` is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import gather_index

_CHUNK = 1 << 20
_I64_MAX = np.iinfo(np.int64).max


@dataclass
class Order:
    """Sorted positions ``p = 0..n-1`` of ``n`` rows.

    Attributes:
        perm: int64 ``(n,)``, the row at each position; None means the identity.
        new_group: bool ``(n,)``, True at the first position of each group.
        dup: bool ``(n,)``, True where a position has the same group and time as the
            previous one (None when there are none).
        group_keys: int64 ``(G,)``, the group key of each group, in output order.
    """

    perm: np.ndarray | None
    new_group: np.ndarray
    dup: np.ndarray | None
    group_keys: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        return np.flatnonzero(self.new_group)

    def rows(self, positions):
        return positions if self.perm is None else self.perm[positions]


def _bits(x: int) -> int:
    return int(x).bit_length()


def _flags_from_sorted(keys: np.ndarray) -> np.ndarray:
    """True where ``keys`` changes (and at position 0)."""
    flags = np.empty(keys.shape[0], dtype=bool)
    flags[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=flags[1:])
    return flags


def _finish(dup):
    return dup if dup is not None and dup.any() else None


def sort_rows(g: np.ndarray, g_max: int, t: np.ndarray | None, *, consume: bool = False) -> Order:
    """Stable order of rows by ``(g, t)``.

    Args:
        g: int ``(n,)`` group keys, ``0 <= g <= g_max``.
        g_max: the largest possible group key.
        t: ``(n,)`` times (int64, or float64 without NaN), or None to keep row order.
        consume: allow the fast path to reuse ``g``'s memory (an owned int64 array)
            for the sort keys; ``g`` is then overwritten. Fresh memory is expensive
            (page faults), so this saves time as well as memory.
    """
    n = g.shape[0]
    if n == 0:
        return Order(np.zeros(0, np.int64), np.zeros(0, bool), None, np.zeros(0, np.int64))
    br, bg = _bits(n - 1), _bits(g_max)
    if t is None:
        if bg + br <= 64:
            return _packed(g, None, None, br, consume)
        return _from_perm(g, None, np.argsort(g, kind="stable"))
    if t.dtype.kind == "f":
        t = _integral(t)
        if t.dtype.kind == "f":
            return _from_perm(g, t, np.lexsort((t, g)))
    plan = _time_plan(t, g, g_max, room=64 - bg - br)
    if plan is not None and bg + plan[2] + br <= 64:
        return _packed(g, t, plan, br, consume)
    if plan is not None and bg + plan[2] <= 63:
        key = np.empty(n, dtype=np.int64)
        for a in range(0, n, _CHUNK):
            b = min(a + _CHUNK, n)
            key[a:b] = (g[a:b].astype(np.int64) << np.int64(plan[2])) | _relative(t, g, plan, a, b)
        return _from_perm(g, t, np.argsort(key, kind="stable"))
    return _from_perm(g, t, np.lexsort((t, g)))


def _integral(t: np.ndarray) -> np.ndarray:
    """Float times that are all whole numbers below 2**53 as int64; else unchanged."""
    if t.size and np.all(np.abs(t) < 2.0 ** 53) and np.all(t == np.floor(t)):
        return t.astype(np.int64)
    return t


def _time_plan(t, g, g_max, room):
    """How to turn times into small non-negative ints: ``(base, step, bits)`` or None.

    ``rel = (t - base) // step`` where ``base`` is the global minimum (a scalar) when
    that fits in ``room`` bits, else each group's first time (an array indexed by
    ``g``), and ``step`` the common step of the relative times when that helps.
    Nothing of size ``n`` is allocated: relative times are made chunk by chunk.
    """
    n = t.shape[0]
    lo, hi = int(t.min()), int(t.max())
    span_bits = _bits(hi - lo)
    too_many_groups = g_max + 1 > max(4 * n, 1 << 20)  # a per-group table would be too big
    if span_bits <= room or (too_many_groups and span_bits <= 63):
        return np.int64(lo), 1, span_bits
    if too_many_groups:
        return None
    first = np.full(g_max + 1, _I64_MAX, dtype=np.int64)
    np.minimum.at(first, g, t)
    span, step = 0, 0
    for a in range(0, n, _CHUNK):  # chunked: the lookup table stays in cache
        b = min(a + _CHUNK, n)
        rel = t[a:b] - first[g[a:b]]
        if rel.min() < 0:  # a group spans more than int64 can hold
            return None
        span = max(span, int(rel.max()))
    if _bits(span) > room:
        for a in range(0, n, _CHUNK):
            b = min(a + _CHUNK, n)
            step = int(np.gcd.reduce(t[a:b] - first[g[a:b]], initial=step))
            if step == 1:
                break
        if step > 1:
            span //= step
    return first, max(step, 1), _bits(span)


def _relative(t, g, plan, a, b) -> np.ndarray:
    base, step, _ = plan
    rel = t[a:b] - (base if np.ndim(base) == 0 else base[g[a:b]])
    if step > 1:
        rel //= np.int64(step)
    return rel


def _packed(g, t, plan, br, consume) -> Order:
    """Sort ``(g << (bt + br)) | (relative time << br) | row`` as uint64 keys."""
    n = g.shape[0]
    bt = 0 if plan is None else plan[2]
    owned = consume and g.dtype == np.int64 and g.flags.writeable and g.flags.c_contiguous
    key = g.view(np.uint64) if owned else np.empty(n, dtype=np.uint64)
    for a in range(0, n, _CHUNK):
        b = min(a + _CHUNK, n)
        part = g[a:b].astype(np.uint64) << np.uint64(bt + br)  # read g before key overwrites it
        if plan is not None and bt:
            part |= _relative(t, g, plan, a, b).astype(np.uint64) << np.uint64(br)
        part |= np.arange(a, b, dtype=np.uint64)
        key[a:b] = part
    key.sort()
    # flags, chunk by chunk (no full-size temporaries), then keep only the row bits
    new_group = np.empty(n, dtype=bool)
    dup = np.zeros(n, dtype=bool) if plan is not None else None
    group_keys = []
    mask = np.uint64((1 << br) - 1)
    prev_hi = prev_g = None
    for a in range(0, n, _CHUNK):
        b = min(a + _CHUNK, n)
        hi = key[a:b] >> np.uint64(br)
        gk = hi >> np.uint64(bt) if bt else hi
        if dup is not None:
            np.equal(hi[1:], hi[:-1], out=dup[a + 1:b])
            dup[a] = prev_hi is not None and hi[0] == prev_hi
        np.not_equal(gk[1:], gk[:-1], out=new_group[a + 1:b])
        new_group[a] = prev_g is None or gk[0] != prev_g
        group_keys.append(gk[new_group[a:b]])
        prev_hi, prev_g = hi[-1], gk[-1]
        key[a:b] &= mask
    group_keys = np.concatenate(group_keys).astype(np.int64)
    return Order(key.view(np.int64), new_group, _finish(dup), group_keys)


def _from_perm(g, t, perm) -> Order:
    perm = perm.astype(np.int64, copy=False)
    gs = g[perm]
    new_group = _flags_from_sorted(gs)
    dup = None
    if t is not None:
        ts = t[perm]
        dup = np.zeros(perm.shape[0], dtype=bool)
        np.equal(ts[1:], ts[:-1], out=dup[1:])
        dup &= ~new_group
    return Order(perm, new_group, _finish(dup), gs[new_group].astype(np.int64))


def first_rows(order: Order) -> np.ndarray:
    """The smallest row of each group (its first row in input order)."""
    return np.minimum.reduceat(order.perm, order.starts)


def reorder_groups(order: Order, new: np.ndarray) -> Order:
    """The same order with groups rearranged: group ``new[k]`` comes ``k``-th."""
    n = order.new_group.shape[0]
    starts = order.starts
    lengths = np.diff(np.append(starts, n))
    idx = gather_index(starts[new], lengths[new], n)
    new_lengths = lengths[new]
    new_group = np.zeros(n, dtype=bool)
    new_group[np.cumsum(new_lengths) - new_lengths] = True
    perm = idx if order.perm is None else order.perm[idx]
    dup = None if order.dup is None else order.dup[idx]
    return Order(perm, new_group, dup, order.group_keys[new])


def check_grouped(g: np.ndarray, t: np.ndarray | None):
    """Order of rows already grouped by ``g`` and sorted by ``t`` (nothing is moved).

    Returns ``(order, problem)``; ``problem`` is None, ``("split", row, prev_row)`` when
    ``row`` starts a second run of a group whose earlier run ended at ``prev_row``, or
    ``("backwards", row)`` when ``t[row] < t[row - 1]`` within a group.
    """
    n = g.shape[0]
    new_group = _flags_from_sorted(g) if n else np.zeros(0, bool)
    starts = np.flatnonzero(new_group)
    keys = g[starts]
    _, first = np.unique(keys, return_index=True)
    if first.size < keys.size:
        again = np.ones(keys.size, dtype=bool)
        again[first] = False
        j = int(np.flatnonzero(again)[0])
        k = int(np.flatnonzero(keys[:j] == keys[j])[-1])
        end = int(starts[k + 1]) - 1
        return None, ("split", int(starts[j]), end)
    dup = None
    if t is not None and n:
        back = np.flatnonzero((t[1:] < t[:-1]) & ~new_group[1:])
        if back.size:
            return None, ("backwards", int(back[0]) + 1)
        dup = np.zeros(n, dtype=bool)
        np.equal(t[1:], t[:-1], out=dup[1:])
        dup &= ~new_group
    return Order(None, new_group, _finish(dup), keys.astype(np.int64)), None


@dataclass
class Steps:
    """Output steps after duplicates are merged.

    Attributes:
        keep: bool ``(n,)`` over sorted positions (None: all kept).
        slot: int64 ``(n,)``, the output step of each position (None: the identity).
        counts: int64 per output step, how many rows are averaged into it ("mean").
        lengths: int64 ``(G,)``, output steps per group.
    """

    keep: np.ndarray | None
    slot: np.ndarray | None
    counts: np.ndarray | None
    lengths: np.ndarray

    @property
    def n_steps(self) -> int:
        return int(self.lengths.sum())


def merge_duplicates(order: Order, how: str) -> Steps:
    """Resolve rows with equal (group, time): keep the ``"first"``/``"last"`` or ``"mean"``."""
    n = order.new_group.shape[0]
    starts = order.starts
    dup = order.dup
    if dup is None:
        return Steps(None, None, None, np.diff(np.append(starts, n)).astype(np.int64))
    if how == "mean":
        fresh = ~dup
        slot = np.cumsum(fresh, dtype=np.int64) - 1
        return Steps(None, slot, np.bincount(slot), np.add.reduceat(fresh.astype(np.int64), starts))
    if how == "first":
        keep = ~dup
    else:  # "last": drop a position when the next one repeats it
        keep = np.ones(n, dtype=bool)
        keep[:-1] = ~dup[1:]
    slot = np.cumsum(keep, dtype=np.int64) - 1
    return Steps(keep, slot, None, np.add.reduceat(keep.astype(np.int64), starts))
