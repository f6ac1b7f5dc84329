"""numba kernels of :mod:`seqfeed._dtw` (imported only when the numba engine runs).

Defined at module level so that ``cache=True`` works: numba then stores the compiled code next
to this file and a later process loads it instead of compiling again.
"""

import numba
import numpy as np

@numba.njit(cache=True, nogil=True)
def dtw_pair(a, b, r, cutoff):
    la, lb = a.shape[0], b.shape[0]
    if la < lb:
        a, b = b, a
        la, lb = lb, la
    nf = a.shape[1]
    inf = np.inf
    prev = np.full(lb, inf)
    cur = np.full(lb, inf)
    for i in range(la):
        c = 0 if la <= 1 else (2 * i * (lb - 1) + (la - 1)) // (2 * (la - 1))
        lo = max(0, c - r)
        hi = min(lb - 1, c + r)
        if lo > 0:
            cur[lo - 1] = inf
        if hi + 1 < lb:
            cur[hi + 1] = inf
        row_min = inf
        left = inf
        for j in range(lo, hi + 1):
            d = 0.0
            for f in range(nf):
                t = a[i, f] - b[j, f]
                d += t * t
            best = left
            if i > 0:
                if prev[j] < best:
                    best = prev[j]
                if j > 0 and prev[j - 1] < best:
                    best = prev[j - 1]
            elif j == 0:
                best = 0.0
            left = d + best
            cur[j] = left
            if left < row_min:
                row_min = left
        if row_min > cutoff:
            return inf
        prev, cur = cur, prev
    return prev[lb - 1]

@numba.njit(cache=True, nogil=True)
def nearest_loop(test_v, test_o, train_v, train_o, window, lbm, use_lb):
    n_test = test_o.shape[0] - 1
    n_train = train_o.shape[0] - 1
    best_i = np.empty(n_test, dtype=np.int64)
    best_d = np.empty(n_test)
    computed = 0
    for t in range(n_test):
        a = test_v[test_o[t]:test_o[t + 1]]
        if use_lb:
            order = np.argsort(lbm[t], kind="mergesort")
        else:
            order = np.arange(n_train)
        bd = np.inf
        bi = -1
        for k in range(n_train):
            g = order[k]
            if use_lb and lbm[t, g] > bd:
                break
            b = train_v[train_o[g]:train_o[g + 1]]
            la = a.shape[0]
            lb = b.shape[0]
            r = int(np.floor(window * max(la, lb) + 1e-9))
            d = dtw_pair(a, b, r, bd)
            computed += 1
            if d < bd or (d == bd and g < bi):
                bd = d
                bi = g
        best_i[t] = bi
        best_d[t] = bd
    return best_i, best_d, computed

@numba.njit(cache=True, nogil=True)
def matrix_loop(xv, xo, yv, yo, window):
    out = np.empty((xo.shape[0] - 1, yo.shape[0] - 1))
    for i in range(xo.shape[0] - 1):
        a = xv[xo[i]:xo[i + 1]]
        for j in range(yo.shape[0] - 1):
            b = yv[yo[j]:yo[j + 1]]
            r = int(np.floor(window * max(a.shape[0], b.shape[0]) + 1e-9))
            out[i, j] = dtw_pair(a, b, r, np.inf)
    return out
