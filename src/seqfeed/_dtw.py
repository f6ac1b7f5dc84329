"""Dynamic time warping kernels for the baselines: a compiled (numba) engine and a NumPy engine.

Both engines compute exactly the same quantity (see :func:`band`):

* the cost of matching step ``i`` of ``a`` with step ``j`` of ``b`` is the squared
  Euclidean distance between the two feature vectors (dependent, multivariate DTW);
* the distance is the smallest sum of costs along a warping path from ``(0, 0)`` to
  ``(len(a) - 1, len(b) - 1)`` with steps ``(1, 0)``, ``(0, 1)``, ``(1, 1)``, restricted to
  a Sakoe-Chiba band of radius ``r`` around the diagonal. For unequal lengths the
  band follows the straight line between the corners: with ``a`` the longer
  sequence, row ``i`` allows ``|j - c(i)| <= r`` where ``c(i)`` is
  ``i * (len(b) - 1) / (len(a) - 1)`` rounded half up (integer arithmetic). A path
  always exists, also for ``r = 0``; the band of ``(b, a)`` is the transpose of that
  of ``(a, b)``, so the distance is symmetric.

numba is imported on first use of the compiled engine, never when this module is imported.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["radius", "band", "have_numba", "pair_distance", "distance_matrix", "nearest", "lb_keogh_matrix"]

_KERNELS = None


def radius(window: float, la: int, lb: int) -> int:
    """The band radius in steps: ``floor(window * max(la, lb))`` (``window`` a fraction)."""
    return int(math.floor(window * max(la, lb) + 1e-9))


def _centre(i, la, lb):
    """Rounded centre column of row ``i`` (``la >= lb``); works on ints and int arrays."""
    if la <= 1:
        return i * 0
    return (2 * i * (lb - 1) + (la - 1)) // (2 * (la - 1))


def band(la: int, lb: int, r: int) -> np.ndarray:
    """Bool ``(la, lb)``: the cells the warping path may use (for tests and documentation)."""
    if la >= lb:
        c = _centre(np.arange(la), la, lb)
        return np.abs(np.arange(lb)[None, :] - c[:, None]) <= r
    return band(lb, la, r).T


def have_numba() -> bool:
    try:
        import numba  # noqa: F401
    except Exception:
        return False
    return True


def _kernels():
    """The numba kernels (``seqfeed._dtw_numba``: module-level functions, so numba's on-disk cache
    serves a later process; a function defined here at call time would be compiled in every process)."""
    global _KERNELS
    if _KERNELS is None:
        from . import _dtw_numba as k

        _KERNELS = (k.dtw_pair, k.nearest_loop, k.matrix_loop)
    return _KERNELS


def _f64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def pair_distance(a: np.ndarray, b: np.ndarray, r: int, engine: str) -> float:
    """DTW distance of two ``(T, F)`` float arrays with band radius ``r``."""
    a, b = _f64(a), _f64(b)
    if engine == "numba":
        return float(_kernels()[0](a, b, int(r), np.inf))
    sa = np.array([0, len(a)], dtype=np.int64)
    sb = np.array([0, len(b)], dtype=np.int64)
    return float(_matrix_numpy(a, sa, b, sb, None, r_fixed=int(r))[0, 0])


def distance_matrix(xv, xo, yv, yo, window: float, engine: str) -> np.ndarray:
    """``(n_x, n_y)`` DTW distances between the sequences of two ragged sets."""
    xv, yv = _f64(xv), _f64(yv)
    if engine == "numba":
        return _kernels()[2](xv, np.asarray(xo, np.int64), yv, np.asarray(yo, np.int64), float(window))
    return _matrix_numpy(xv, xo, yv, yo, window)


def nearest(test_v, test_o, train_v, train_o, window: float, engine: str):
    """For each test sequence: (index of the nearest training sequence, its distance, pairs computed).

    Ties go to the lowest training index. With the compiled engine and equal lengths
    everywhere, candidates are visited in LB_Keogh order and DTW abandons a candidate
    as soon as a row of its table exceeds the best distance so far.
    """
    test_v, train_v = _f64(test_v), _f64(train_v)
    if engine == "numba":
        lengths = np.concatenate([np.diff(test_o), np.diff(train_o)])
        use_lb = bool(lengths.size and np.all(lengths == lengths[0]))
        if use_lb:
            L = int(lengths[0])
            lbm = lb_keogh_matrix(test_v.reshape(len(test_o) - 1, L, -1), train_v.reshape(len(train_o) - 1, L, -1),
                                  radius(window, L, L))
        else:
            lbm = np.zeros((1, 1))
        idx, dist, computed = _kernels()[1](test_v, np.asarray(test_o, np.int64), train_v,
                                            np.asarray(train_o, np.int64), float(window), lbm, use_lb)
        return idx, dist, int(computed)
    d = _matrix_numpy(test_v, test_o, train_v, train_o, window)
    idx = np.argmin(d, axis=1)
    return idx, d[np.arange(len(idx)), idx], int(d.size)


def lb_keogh_matrix(x: np.ndarray, y: np.ndarray, r: int) -> np.ndarray:
    """LB_Keogh lower bounds ``(n_x, n_y)`` of the DTW distances of equal-length sets.

    ``x`` ``(n_x, T, F)``, ``y`` ``(n_y, T, F)``. Each row ``i`` of a path pays at least
    the squared distance from ``x[i]`` to the band envelope of ``y`` around ``i``
    (per feature), so the bound never exceeds the distance.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    ny, T, F = y.shape
    pad_hi = np.pad(y, ((0, 0), (r, r), (0, 0)), mode="constant", constant_values=-np.inf)
    pad_lo = np.pad(y, ((0, 0), (r, r), (0, 0)), mode="constant", constant_values=np.inf)
    upper = sliding_window_view(pad_hi, 2 * r + 1, axis=1).max(axis=-1)  # (ny, T, F)
    lower = sliding_window_view(pad_lo, 2 * r + 1, axis=1).min(axis=-1)
    out = np.empty((x.shape[0], ny))
    for i in range(x.shape[0]):
        xi = x[i][None]
        above = np.maximum(xi - upper, 0.0)
        below = np.maximum(lower - xi, 0.0)
        out[i] = (above * above + below * below).sum(axis=(1, 2))
    return out


def _matrix_numpy(xv, xo, yv, yo, window, *, r_fixed=None) -> np.ndarray:
    """All pairs at once: one dynamic-programming sweep over the largest table, vectorised over pairs.

    Each pair has its own band mask (its lengths and radius); cells outside it are
    +inf; the pair's distance is read when the sweep reaches its last cell.
    """
    xo, yo = np.asarray(xo, np.int64), np.asarray(yo, np.int64)
    nx, ny = len(xo) - 1, len(yo) - 1
    lx, ly = np.diff(xo), np.diff(yo)
    Tx, Ty = int(lx.max()), int(ly.max())
    F = xv.shape[1]
    # dense padded copies (n, T, F); padding is never read inside a band
    X = np.zeros((nx, Tx, F))
    Y = np.zeros((ny, Ty, F))
    X[np.repeat(np.arange(nx), lx), np.arange(xo[-1]) - np.repeat(xo[:-1], lx)] = xv
    Y[np.repeat(np.arange(ny), ly), np.arange(yo[-1]) - np.repeat(yo[:-1], ly)] = yv
    LA = np.repeat(lx, ny)  # pair p = (i, j) -> p = i * ny + j
    LB = np.tile(ly, nx)
    if r_fixed is None:
        R = np.floor(window * np.maximum(LA, LB) + 1e-9).astype(np.int64)
    else:
        R = np.full(LA.shape, r_fixed, dtype=np.int64)
    rows_long = LA >= LB
    big, small = np.maximum(LA, LB), np.minimum(LA, LB)
    P = LA.size
    inf = np.inf
    prev = np.full((P, Ty), inf)
    out = np.full(P, inf)
    jj = np.arange(Ty)
    for i in range(Tx):
        # allowed j for row i, per pair
        c_rows = np.where(big > 1, (2 * i * (small - 1) + (big - 1)) // np.maximum(2 * (big - 1), 1), 0)
        allowed_a = np.abs(jj[None, :] - c_rows[:, None]) <= R[:, None]  # a is the longer one: rows are a
        c_cols = np.where(big[:, None] > 1, (2 * jj[None, :] * (small[:, None] - 1) + (big[:, None] - 1))
                          // np.maximum(2 * (big[:, None] - 1), 1), 0)
        allowed_b = np.abs(i - c_cols) <= R[:, None]  # b is the longer one: band transposed
        allowed = np.where(rows_long[:, None], allowed_a, allowed_b)
        allowed &= (i < LA)[:, None] & (jj[None, :] < LB[:, None])
        cols = np.flatnonzero(allowed.any(axis=0))
        if cols.size == 0:
            prev = np.full((P, Ty), inf)
            continue
        j0, j1 = int(cols[0]), int(cols[-1]) + 1
        diff = X[:, i, None, None, :] - Y[None, :, j0:j1, :]  # (nx, ny, j1 - j0, F)
        cost = np.full((P, Ty), inf)
        cost[:, j0:j1] = np.einsum("abtf,abtf->abt", diff, diff).reshape(P, j1 - j0)
        cost = np.where(allowed, cost, inf)
        # diagonal / vertical predecessors from the previous row
        diag = np.full((P, Ty), inf)
        diag[:, 1:] = prev[:, :-1]
        up = np.minimum(prev, diag)
        if i == 0:
            up[:, 0] = 0.0
        cur = cost + up  # before the horizontal step
        left = cur[:, j0].copy()
        for j in range(j0 + 1, j1):
            col = np.minimum(cost[:, j] + left, cur[:, j])
            cur[:, j] = col
            left = col
        cur = np.where(allowed, cur, inf)
        done = LA - 1 == i
        if done.any():
            out[done] = cur[done, LB[done] - 1]
        prev = cur
    return out.reshape(nx, ny)
