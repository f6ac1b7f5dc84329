"""Compiled copy kernel: ragged steps into padded rows in one call, no Python loop per row.

The kernel works on bytes, so one compiled function serves every dtype and
feature count: row ``i`` of ``dst`` (``row_bytes`` = ``T * F * itemsize``) receives
``nbytes[i]`` bytes of ``src`` starting at byte ``starts[i]`` (at the start of the
row for post padding, at its end for pre padding) and the rest of the row comes
from ``pattern`` (the padding value, repeated over one row).

With numba installed (``pip install seqfeed[fast]``) the loop is compiled on
first use (cached on disk when the package directory is writeable); without it
the same bytes are written by ``memoryview`` slice copies, one pair per row
(:func:`fill_rows_numpy`). Both give identical output (tested byte for byte).
numba is imported only when a kernel is first needed, never by ``import seqfeed``,
and only once the process has padded ``COMPILED_AFTER_BYTES`` (its import and
kernel load cost ~1 s once). Set ``SEQFEED_NO_NUMBA=1`` to force the NumPy path.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["compiled_available", "fill_rows", "fill_rows_numpy"]

_STATE: dict = {}


def _compiled():
    """The numba kernel, or None when numba is missing or disabled (decided once)."""
    if "kernel" in _STATE:
        return _STATE["kernel"]
    kernel = None
    if not os.environ.get("SEQFEED_NO_NUMBA"):
        try:
            import numba
        except Exception:  # ImportError, or a numba that does not match this NumPy
            numba = None
        if numba is not None:
            def _fill(src, starts, nwords, dst, pattern, post):  # pragma: no cover - compiled
                B, R = dst.shape
                for i in range(B):
                    a = starts[i]
                    n = nwords[i]
                    if post:
                        dst[i, :n] = src[a:a + n]
                        dst[i, n:] = pattern[n:R]
                    else:
                        g = R - n
                        dst[i, :g] = pattern[:g]
                        dst[i, g:] = src[a:a + n]

            try:
                kernel = numba.njit(cache=True, nogil=True, boundscheck=False)(_fill)
            except Exception:
                kernel = numba.njit(nogil=True, boundscheck=False)(_fill)
    _STATE["kernel"] = kernel
    return kernel


# Importing numba and loading the cached kernel costs ~0.5-1.5 s once per process, which a
# short job (a CLI run on a small data set) would never win back: the compiled kernel is
# used once this process has padded COMPILED_AFTER_BYTES through the NumPy kernels (or as
# soon as numba is already imported).
COMPILED_AFTER_BYTES = 256 * 2**20


def compiled_available(nbytes: int = 0) -> bool:
    """True when the numba kernel is (or is about to be) used for a call writing ``nbytes``."""
    if "kernel" in _STATE:
        return _STATE["kernel"] is not None
    import sys

    done = _STATE.get("bytes", 0) + nbytes
    _STATE["bytes"] = done
    if "numba" not in sys.modules and done < COMPILED_AFTER_BYTES:
        return False
    return _compiled() is not None


def _pattern(out: np.ndarray, value) -> np.ndarray:
    """One row of padding as bytes (cached for the last shape/dtype/value)."""
    B, T, F = out.shape
    key = (T * F, out.dtype.str, value if not isinstance(value, float) or value == value else "nan")
    cached = _STATE.get("pattern")
    if cached is not None and cached[0] == key:
        return cached[1]
    p = np.full(T * F, value, dtype=out.dtype).view(np.uint8)
    _STATE["pattern"] = (key, p)
    return p


def fill_rows(src: np.ndarray, starts: np.ndarray, counts: np.ndarray, out: np.ndarray, *,
              post: bool, value, compiled: bool | None = None) -> str:
    """Copy ``src[starts[i] : starts[i] + counts[i]]`` (whole steps) into row ``i`` of ``out``.

    Args:
        src: C-contiguous ``(N, F)`` (or ``(N,)``) array of ``out.dtype``.
        starts, counts: int64 ``(B,)``, in steps; ``counts[i] <= T``.
        out: C-contiguous ``(B, T, F)``; every element is written.
        post: real steps at the start of each row (else at the end).
        value: padding value.
        compiled: force (True) or forbid (False) the numba kernel; default: use it
            when available.

    Returns:
        ``"compiled"`` or ``"rows"`` (the kernel used).
    """
    B, T, F = out.shape
    step = F * out.dtype.itemsize
    if out.size == 0:
        return "empty"
    if compiled is None:
        compiled = compiled_available(out.nbytes)
    kernel = _compiled() if compiled else None
    if compiled and kernel is None:
        raise RuntimeError("the compiled kernel needs numba (pip install numba)")
    if kernel is None:
        fill_rows_numpy(src, starts, counts, out, post=post, value=value)
        return "rows"
    # the widest machine word that divides a step: whole-word copies (slices compile to memcpy)
    w = next(k for k in (8, 4, 2, 1) if step % k == 0)
    wt = _WORDS[w]
    per = step // w
    s = src.reshape(-1).view(np.uint8).view(wt) if src.size else np.zeros(1, dtype=wt)
    kernel(s, np.asarray(starts, dtype=np.int64) * per, np.asarray(counts, dtype=np.int64) * per,
           out.reshape(B, T * F).view(np.uint8).view(wt), _pattern(out, value).view(wt), bool(post))
    return "compiled"


_WORDS = {8: np.uint64, 4: np.uint32, 2: np.uint16, 1: np.uint8}


def fill_rows_numpy(src: np.ndarray, starts: np.ndarray, counts: np.ndarray, out: np.ndarray, *,
                    post: bool, value) -> None:
    """The NumPy reference of :func:`fill_rows`: ``memoryview`` slice copies, two per row."""
    B, T, F = out.shape
    step = F * out.dtype.itemsize
    row = T * step
    dst = memoryview(out.reshape(-1).view(np.uint8))
    s = memoryview(src.reshape(-1).view(np.uint8)) if src.size else memoryview(b"")
    pat = memoryview(_pattern(out, value))
    d = 0
    for a, n in zip((np.asarray(starts, dtype=np.int64) * step).tolist(),
                    (np.asarray(counts, dtype=np.int64) * step).tolist()):
        if post:
            dst[d:d + n] = s[a:a + n]
            if n < row:
                dst[d + n:d + row] = pat[n:row]
        else:
            g = row - n
            if g:
                dst[d:d + g] = pat[:g]
            dst[d + g:d + row] = s[a:a + n]
        d += row
