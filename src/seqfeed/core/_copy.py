"""Copy kernels: ragged steps into a padded ``(B, T, F)`` buffer.

Two kernels, chosen by the average number of bytes a row carries (measured in
``benchmarks/bench_padding.py``):

* ``rows``: one ``memoryview`` slice copy per row for the real steps and one for
  the padding. ``memoryview`` slice assignment is a plain ``memcpy`` with far less
  per-call overhead than NumPy slicing, so long rows run near memory bandwidth.
* ``scatter``: fill the buffer with the padding value, then one boolean-mask
  assignment ``out[mask] = steps``. No Python loop at all, which wins when rows
  are short (token ids) and per-row overhead would dominate.
"""

from __future__ import annotations

import numpy as np

from ._sequence_set import _gather_index

# Rows carrying fewer bytes than this on average go through the scatter kernel.
SCATTER_BELOW_BYTES = 512


def length_mask(counts: np.ndarray, T: int, padding: str) -> np.ndarray:
    """bool ``(B, T)``: True on the real steps of each row (from lengths only)."""
    steps = np.arange(T, dtype=np.int64)
    if padding == "post":
        return steps < counts[:, None]
    return steps >= (T - counts)[:, None]


def fill_padded(values: np.ndarray, starts: np.ndarray, counts: np.ndarray, out: np.ndarray,
                *, padding: str, value, kernel: str | None = None) -> str:
    """Write ``values[starts[i] : starts[i] + counts[i]]`` into row ``i`` of ``out``.

    Args:
        values: ``(N, F)`` steps (any dtype; converted to ``out.dtype``).
        starts, counts: int64 ``(B,)`` first step and number of steps of each row.
        out: C-contiguous ``(B, T, F)``; every element is written (real or ``value``).
        padding: ``"post"`` puts the steps at the start of the row, ``"pre"`` at the end.
        kernel: force ``"rows"`` or ``"scatter"`` (default: chosen by row size).

    Returns:
        The name of the kernel used.
    """
    B, T, F = out.shape
    if B == 0 or T == 0 or F == 0:
        if out.size:
            out.fill(value)
        return "empty"
    total = int(counts.sum())
    itemsize = out.dtype.itemsize
    if kernel is None:
        kernel = "scatter" if total * F * itemsize < SCATTER_BELOW_BYTES * B else "rows"

    contiguous = bool(B == 1 or np.array_equal(starts[1:], starts[:-1] + counts[:-1]))
    if kernel == "scatter":
        if contiguous:
            a = int(starts[0])
            steps = values[a:a + total]
        else:
            steps = values[_gather_index(starts, counts, total)]
        out.fill(value)
        out[length_mask(counts, T, padding)] = steps
        return kernel

    # rows kernel: needs C-contiguous steps of the output dtype
    if values.dtype != out.dtype or not values.flags.c_contiguous:
        if contiguous:
            a = int(starts[0])
            values = np.ascontiguousarray(values[a:a + total], dtype=out.dtype)
            starts = starts - a
        else:
            values = np.ascontiguousarray(values[_gather_index(starts, counts, total)], dtype=out.dtype)
            starts = np.zeros(B, dtype=np.int64)
            np.cumsum(counts[:-1], out=starts[1:])
    step_bytes = F * itemsize
    row_bytes = T * step_bytes
    dst = memoryview(out.reshape(-1)).cast("B")
    src = memoryview(values.reshape(-1)).cast("B")
    pattern = memoryview(np.full(T * F, value, dtype=out.dtype)).cast("B")
    begin = (starts * step_bytes).tolist()
    nbytes = (counts * step_bytes).tolist()
    d = 0
    if padding == "post":
        for a, n in zip(begin, nbytes):
            dst[d:d + n] = src[a:a + n]
            if n < row_bytes:
                dst[d + n:d + row_bytes] = pattern[:row_bytes - n]
            d += row_bytes
    else:
        for a, n in zip(begin, nbytes):
            gap = row_bytes - n
            if gap:
                dst[d:d + gap] = pattern[:gap]
            dst[d + gap:d + row_bytes] = src[a:a + n]
            d += row_bytes
    return kernel
