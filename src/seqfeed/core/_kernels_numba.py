"""The numba side of :mod:`seqfeed.core._kernels` (imported only when a compiled kernel is used).

Two byte-level kernels built on ``memcpy``/``memset`` (LLVM intrinsics, so each
row copy is the C library's tuned copy); compiled once and cached on disk.
"""

from __future__ import annotations

import numba
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic
from llvmlite import ir

__all__ = ["gather", "gather_list", "header_fields", "list_lengths", "longest", "peek", "rows"]


@numba.njit(inline="always", nogil=True, boundscheck=False)
def _set(dst, d, byte, n):  # pragma: no cover - compiled
    """dst[d:d + n] = byte on a 1-D uint8 array (compiled to a memset)."""
    dst[d:d + n] = byte


@numba.njit(cache=True, nogil=True, boundscheck=False)
def rows(src, starts, nbytes, dst, row, pattern, post):  # pragma: no cover - compiled
    """Row ``i`` of ``dst`` (``row`` bytes) <- ``nbytes[i]`` bytes of ``src`` from byte ``starts[i]``,
    the rest from ``pattern`` (at least ``row`` bytes of padding)."""
    for i in range(starts.shape[0]):
        n = nbytes[i]
        d = i * row
        if post:
            _copy(dst, d, src, starts[i], n)
            _copy(dst, d + n, pattern, n, row - n)
        else:
            _copy(dst, d, pattern, 0, row - n)
            _copy(dst, d + row - n, src, starts[i], n)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def gather(src, offsets, idx, step, T, pre_trunc, post, pattern, dst, mask, lengths):  # pragma: no cover
    """Row ``i`` of ``dst`` (``T`` steps of ``step`` bytes) <- sequence ``idx[i]``, i.e. steps
    ``offsets[k]`` to ``offsets[k + 1]`` of ``src``; ``mask`` (``B * T`` bytes, or empty when not
    wanted) and ``lengths`` receive the kept step counts."""
    row = T * step
    want_mask = mask.shape[0] > 0
    for i in range(idx.shape[0]):
        k = idx[i]
        a = offsets[k]
        c = offsets[k + 1] - a
        if c > T:
            if pre_trunc:
                a += c - T
            c = T
        lengths[i] = c
        n = c * step
        d = i * row
        if post:
            _copy(dst, d, src, a * step, n)
            _copy(dst, d + n, pattern, n, row - n)
        else:
            _copy(dst, d, pattern, 0, row - n)
            _copy(dst, d + row - n, src, a * step, n)
        if want_mask:
            m = i * T
            if post:
                _set(mask, m, 1, c)
                _set(mask, m + c, 0, T - c)
            else:
                _set(mask, m, 0, T - c)
                _set(mask, m + T - c, 1, c)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def longest(offsets, idx):  # pragma: no cover - compiled
    """The most steps of the sequences ``idx`` of a ragged set (its ``offsets``); 0 for no sequence."""
    T = 0
    for i in range(idx.shape[0]):
        k = idx[i]
        c = offsets[k + 1] - offsets[k]
        if c > T:
            T = c
    return T


# --------------------------------------------------------------------------------------------
# Straight from a Python list of NumPy arrays. Reading each array's data pointer and shape from
# its object header (the fields NumPy's C API exposes: ``PyArray_DATA``, ``PyArray_NDIM``,
# ``PyArray_DIMS``, ``PyArray_DESCR``, ``PyArray_FLAGS``) costs nanoseconds, where any Python-level
# access costs a microsecond per array. The offsets are checked on real arrays before first use
# (``seqfeed.core._kernels``), every array's type, dtype, rank, step shape and contiguity are
# checked before anything is copied, and these kernels keep the GIL: nothing can change or free
# the arrays while they run.
# --------------------------------------------------------------------------------------------
@intrinsic
def _load_i64(typingctx, addr):  # pragma: no cover - compiled
    """The int64 stored at address ``addr``."""
    sig = types.int64(types.intp)

    def codegen(context, builder, signature, args):
        return builder.load(builder.inttoptr(args[0], ir.IntType(64).as_pointer()))

    return sig, codegen


@intrinsic
def _load_i32(typingctx, addr):  # pragma: no cover - compiled
    """The int32 stored at address ``addr``, widened to int64."""
    sig = types.int64(types.intp)

    def codegen(context, builder, signature, args):
        v = builder.load(builder.inttoptr(args[0], ir.IntType(32).as_pointer()))
        return builder.sext(v, ir.IntType(64))

    return sig, codegen


@intrinsic
def _copy_from(typingctx, dst, d, addr, n):  # pragma: no cover - compiled
    """memcpy(dst.data + d, addr, n)."""
    sig = types.void(dst, types.intp, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        dst_v, d_v, a_v, n_v = args
        da = context.make_array(signature.args[0])(context, builder, dst_v)
        src = builder.inttoptr(a_v, ir.IntType(8).as_pointer())
        cgutils.raw_memcpy(builder, builder.gep(da.data, [d_v]), src, n_v, 1)
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(inline="always", nogil=True)
def _copy(dst, d, src, s, n):  # pragma: no cover - compiled
    """memcpy(dst.data + d, src.data + s, n) on 1-D uint8 arrays."""
    _copy_from(dst, d, src.ctypes.data + s, n)


@numba.njit(cache=True, boundscheck=False)
def header_fields(addr, layout):  # pragma: no cover - compiled
    """(type, data, ndim, dims pointer, strides pointer, descr, flags) read from the object at ``addr``
    (for the self-test; nothing is dereferenced)."""
    return (_load_i64(addr + layout[0]), _load_i64(addr + layout[1]), _load_i32(addr + layout[2]),
            _load_i64(addr + layout[3]), _load_i64(addr + layout[3] + 8), _load_i64(addr + layout[4]),
            _load_i32(addr + layout[5]))


@numba.njit(cache=True, boundscheck=False)
def peek(addr):  # pragma: no cover - compiled
    """The int64 at ``addr`` (for the self-test)."""
    return _load_i64(addr)


@numba.njit(cache=True, boundscheck=False)
def list_lengths(ids, layout, type_addr, descr_addr, step_dims, lengths):  # pragma: no cover - compiled
    """``lengths[i]`` = ``len(arrays[i])`` for the array objects at addresses ``ids``; returns -1, or
    the position of the first one that is not an exact, C-contiguous ``ndarray`` of this dtype and
    step shape (``step_dims``: its shape after the first axis)."""
    nd = step_dims.shape[0] + 1
    for i in range(ids.shape[0]):
        p = ids[i]
        if _load_i64(p + layout[0]) != type_addr:  # the type pointer is in every object's header
            return i
        # an exact ndarray: its fields may be read
        if _load_i32(p + layout[2]) != nd or _load_i64(p + layout[4]) != descr_addr:
            return i
        if (_load_i32(p + layout[5]) & 1) == 0:  # NPY_ARRAY_C_CONTIGUOUS
            return i
        dims = _load_i64(p + layout[3])
        for j in range(nd - 1):
            if _load_i64(dims + 8 * (j + 1)) != step_dims[j]:
                return i
        lengths[i] = _load_i64(dims)
    return -1


@numba.njit(cache=True, boundscheck=False)
def gather_list(ids, layout, lengths, step, T, pre_trunc, post, pattern, dst):  # pragma: no cover
    """Row ``i`` of ``dst`` (``T`` steps of ``step`` bytes) <- the array at address ``ids[i]`` (checked
    by :func:`list_lengths`), truncated to ``T`` steps, padded from ``pattern``."""
    row = T * step
    for i in range(ids.shape[0]):
        data = _load_i64(ids[i] + layout[1])
        c = lengths[i]
        if c > T:
            if pre_trunc:
                data += (c - T) * step
            c = T
        n = c * step
        d = i * row
        if post:
            _copy_from(dst, d, data, n)
            _copy(dst, d + n, pattern, n, row - n)
        else:
            _copy(dst, d, pattern, 0, row - n)
            _copy_from(dst, d + row - n, data, n)
