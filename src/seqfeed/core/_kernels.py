"""Compiled copy kernels: ragged steps into padded rows in one call, no Python loop per row.

The kernels work on bytes, so one compiled function serves every dtype and
feature count. Each row is two plain ``memcpy`` calls (real steps, then padding
from ``pattern``, the padding value repeated over one row, or the other way
round for pre padding), so long rows run at memory speed and short rows cost a
few nanoseconds each:

* :func:`fill_rows`: row ``i`` of ``dst`` receives ``counts[i]`` steps of ``src``
  starting at step ``starts[i]``;
* :func:`gather_rows`: the same straight from a ragged set's ``offsets`` and the
  batch's sequence indices, also writing the length mask and the lengths: the
  whole per-batch work of a loader in one call, without intermediate arrays.

With numba installed (``pip install seqfeed[fast]``) the kernels are compiled on
first use (cached on disk, so a later process only loads them); without it the
same bytes are written by NumPy (:func:`fill_rows_numpy` and the callers' NumPy
paths; identical output, tested byte for byte). numba is imported only when a
kernel is first needed, never by ``import seqfeed``, and only once the process
has padded ``COMPILED_AFTER_BYTES`` (its import and kernel load cost ~1 s once)
or numba is already imported. Set ``SEQFEED_NO_NUMBA=1`` to force the NumPy path.
"""

from __future__ import annotations

import os
import sys

import numpy as np

__all__ = ["array_list_lengths", "compiled_available", "compiled_loaded", "fill_rows", "fill_rows_numpy",
           "gather_array_list", "gather_rows"]

_STATE: dict = {}


def _build():
    """Load (or compile, once, into the on-disk cache) the kernels; raises if numba cannot."""
    from . import _kernels_numba as k

    kernels = {"rows": k.rows, "gather": k.gather, "longest": k.longest, "list_lengths": k.list_lengths,
               "gather_list": k.gather_list}
    _self_test(kernels)
    try:
        kernels["layout"] = _array_header_layout(k)
    except Exception:
        kernels["layout"] = None
    return kernels


def _array_header_layout(k) -> np.ndarray | None:
    """Byte offsets of an ndarray object's type, data, ndim, dims, descr and flags fields, checked
    on real arrays; None where they cannot be trusted (then lists of arrays take the NumPy path).

    The fields follow the object header in the order NumPy's C API defines (``PyArrayObject_fields``:
    data, nd, dimensions, strides, base, descr, flags); the header is CPython's ``PyObject`` (its type
    pointer last). Every field is compared with what Python reports for several arrays, and the
    dimensions pointer is only trusted because NumPy stores the strides right after the dimensions.
    """
    import sysconfig

    if sys.implementation.name != "cpython" or sysconfig.get_config_var("Py_GIL_DISABLED"):
        return None
    h = object.__basicsize__
    if np.ndarray.__basicsize__ < h + 56 or np.dtype(np.intp).itemsize != 8:
        return None
    layout = np.array([h - 8, h, h + 8, h + 16, h + 40, h + 48], dtype=np.int64)
    base = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    samples = [np.arange(7, dtype=np.int16), base, base[:, 1], base[:, ::2], np.zeros((0, 3), dtype=np.int64),
               np.asfortranarray(base)]
    for a in samples:
        typ, data, nd, dims, strides, descr, flags = k.header_fields(id(a), layout)
        if (typ != id(np.ndarray) or data != a.ctypes.data or nd != a.ndim or strides != dims + 8 * a.ndim
                or descr != id(a.dtype) or bool(flags & 1) != a.flags.c_contiguous):
            return None
        if tuple(k.peek(dims + 8 * j) for j in range(nd)) != a.shape:
            return None
    return layout


def compiled_loaded() -> bool:
    """True when the compiled kernels are already loaded in this process (no cost to use them)."""
    return _STATE.get("kernel") is not None


def array_list_lengths(arrays: list, dtype: np.dtype, step_shape: tuple):
    """``(ids, lengths)`` of a list of arrays for :func:`gather_array_list`, or None unless every element
    is an exact, C-contiguous ``ndarray`` of exactly ``dtype`` (the same dtype object) with
    ``step_shape`` after its first axis, and the compiled kernels (with a checked header layout)
    are loaded. One compiled pass over the arrays' headers, no Python step per array.
    """
    kernels = _STATE.get("kernel")
    layout = kernels["layout"] if kernels else None
    if layout is None or type(arrays) is not list:
        return None
    n = len(arrays)
    ids = np.fromiter(map(id, arrays), dtype=np.int64, count=n)
    lengths = np.empty(n, dtype=np.int64)
    # the kernels keep the GIL: no other thread can change `arrays` while they read them
    if kernels["list_lengths"](ids, layout, _TYPE_ID, id(dtype), np.array(step_shape, dtype=np.int64),
                               lengths) >= 0:
        return None
    return ids, lengths


_TYPE_ID = id(np.ndarray)


def gather_array_list(arrays: list, ids: np.ndarray, lengths: np.ndarray, out: np.ndarray, *, post: bool,
                      pre_trunc: bool, value) -> None:
    """Compiled: row ``i`` of ``out`` (``(B, T) + step_shape``, C-contiguous, non-empty) <- ``arrays[i]``,
    truncated to ``T`` steps, straight from its memory. ``ids``, ``lengths``: from
    :func:`array_list_lengths` on the same, unchanged list (which keeps the arrays alive)."""
    kernels = _STATE["kernel"]
    T = out.shape[1]
    per_row = out.size // out.shape[0]
    step = per_row // T * out.dtype.itemsize
    kernels["gather_list"](ids, kernels["layout"], lengths, step, T, bool(pre_trunc), bool(post),
                           _pattern(out.dtype, value, per_row), out.reshape(-1).view(np.uint8))


def _self_test(kernels) -> None:
    """Compile (or load) the kernels on tiny data and check them against NumPy."""
    src = np.arange(1, 13, dtype=np.int16).reshape(6, 2)
    offsets = np.array([0, 2, 6], dtype=np.int64)
    idx = np.array([1, 0], dtype=np.int64)
    for post in (True, False):
        ref = np.empty((2, 3, 2), dtype=np.int16)
        fill_rows_numpy(src, np.array([3, 0]), np.array([3, 2]), ref, post=post, value=-1)
        out = np.zeros_like(ref)
        mask = np.empty((2, 3), dtype=bool)
        lengths = np.empty(2, dtype=np.int64)
        pattern = _pattern(out.dtype, -1, 3 * 2)
        kernels["gather"](src.reshape(-1).view(np.uint8), offsets, idx, 4, 3, True, post, pattern,
                          out.reshape(-1).view(np.uint8), mask.reshape(-1).view(np.uint8), lengths)
        if out.tobytes() != ref.tobytes() or lengths.tolist() != [3, 2] or mask.sum() != 5:
            raise RuntimeError("compiled gather kernel disagrees with NumPy")
        if kernels["longest"](offsets, idx) != 4 or kernels["longest"](offsets, idx[:0]) != 0:
            raise RuntimeError("compiled longest-sequence kernel disagrees with NumPy")
        out.fill(0)
        kernels["rows"](src.reshape(-1).view(np.uint8), np.array([12, 0], dtype=np.int64),
                        np.array([12, 8], dtype=np.int64), out.reshape(-1).view(np.uint8), 12, pattern, post)
        if out.tobytes() != ref.tobytes():
            raise RuntimeError("compiled row kernel disagrees with NumPy")


def _compiled():
    """The compiled kernels (a dict), or None when numba is missing, disabled or broken (decided once)."""
    if "kernel" in _STATE:
        return _STATE["kernel"]
    kernels = None
    if not os.environ.get("SEQFEED_NO_NUMBA"):
        try:
            kernels = _build()
        except Exception:  # ImportError, a numba that does not match this NumPy, or a failed self-test
            kernels = None
    _STATE["kernel"] = kernels
    return kernels


# Importing numba and loading the cached kernels costs ~0.5-1.5 s once per process, which a
# short job (a CLI run on a small data set) would never win back: the compiled kernels are
# used once this process has padded COMPILED_AFTER_BYTES through the NumPy kernels (or as
# soon as numba is already imported, e.g. by a caller or another seqfeed module).
COMPILED_AFTER_BYTES = 256 * 2**20


def compiled_available(nbytes: int = 0) -> bool:
    """True when the compiled kernels are (or are about to be) used for a call writing ``nbytes``."""
    if "kernel" in _STATE:
        return _STATE["kernel"] is not None
    done = _STATE.get("bytes", 0) + nbytes
    _STATE["bytes"] = done
    if "numba" not in sys.modules and done < COMPILED_AFTER_BYTES:
        return False
    return _compiled() is not None


def _pattern(dtype: np.dtype, value, n_items: int) -> np.ndarray:
    """At least ``n_items`` padding values as uint8 bytes (cached per dtype and value, grown as needed).

    Any slice of it that starts at a multiple of the step size is valid padding.
    """
    if isinstance(value, float):
        vkey = value.hex()  # tells -0.0 from 0.0, and NaN equals itself
    elif isinstance(value, (bool, int)):
        vkey = (type(value), value)
    else:
        vkey = np.asarray(value).dtype.str + np.asarray(value).tobytes().hex()
    key = (np.dtype(dtype).str, vkey)
    cache = _STATE.setdefault("patterns", {})
    p = cache.get(key)
    if p is None or p.size < n_items * np.dtype(dtype).itemsize:
        size = max(n_items, 1024, 0 if p is None else 2 * p.size // np.dtype(dtype).itemsize)
        p = np.full(size, value, dtype=dtype).view(np.uint8)
        if len(cache) > 16:
            cache.clear()
        cache[key] = p
    return p


def _bytes(a: np.ndarray) -> np.ndarray:
    """A C-contiguous array as a 1-D uint8 view (a 1-element dummy when empty)."""
    return a.reshape(-1).view(np.uint8) if a.size else np.zeros(1, dtype=np.uint8)


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
    kernels = _compiled() if compiled else None
    if compiled and kernels is None:
        raise RuntimeError("the compiled kernel needs numba (pip install numba)")
    if kernels is None:
        fill_rows_numpy(src, starts, counts, out, post=post, value=value)
        return "rows"
    kernels["rows"](_bytes(src), np.ascontiguousarray(starts, dtype=np.int64) * step,
                    np.ascontiguousarray(counts, dtype=np.int64) * step, out.reshape(-1).view(np.uint8),
                    T * step, _pattern(out.dtype, value, T * F), bool(post))
    return "compiled"


def gather_rows(values: np.ndarray, offsets: np.ndarray, idx: np.ndarray, out: np.ndarray, *,
                post: bool, pre_trunc: bool, value, mask: np.ndarray | None, lengths: np.ndarray) -> None:
    """Compiled: row ``i`` of ``out`` <- sequence ``idx[i]`` of a ragged ``(values, offsets)``.

    Sequences longer than ``T`` keep their last (``pre_trunc``) or first ``T`` steps.
    Writes every element of ``out`` (``(B, T, F)``, C-contiguous, ``values.dtype``),
    of ``mask`` (bool ``(B, T)``, True on real steps; None: not wanted) and of
    ``lengths`` (int64 ``(B,)``, kept steps). ``offsets``/``idx`` are int64,
    C-contiguous, ``idx`` within range (not checked). Needs :func:`compiled_available`.
    """
    B, T, F = out.shape
    if out.size == 0:
        raise ValueError("gather_rows needs a non-empty output")
    kernels = _compiled()
    step = F * out.dtype.itemsize
    m = mask.reshape(-1).view(np.uint8) if mask is not None else _NO_MASK
    kernels["gather"](_bytes(values), offsets, idx, step, T, bool(pre_trunc), bool(post),
                      _pattern(out.dtype, value, T * F), out.reshape(-1).view(np.uint8), m, lengths)


_NO_MASK = np.zeros(0, dtype=np.uint8)


def fill_rows_numpy(src: np.ndarray, starts: np.ndarray, counts: np.ndarray, out: np.ndarray, *,
                    post: bool, value) -> None:
    """The NumPy reference of :func:`fill_rows`: ``memoryview`` slice copies, two per row."""
    B, T, F = out.shape
    step = F * out.dtype.itemsize
    row = T * step
    dst = memoryview(out.reshape(-1).view(np.uint8))
    s = memoryview(src.reshape(-1).view(np.uint8)) if src.size else memoryview(b"")
    pat = memoryview(_pattern(out.dtype, value, T * F))
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
