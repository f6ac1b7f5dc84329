"""Copy kernels: ragged steps into a padded ``(B, T, F)`` buffer.

The kernel is chosen per call, i.e. per batch when a loader pads batch by batch
(the crossover is measured by ``benchmarks/bench_padding.py --kernels``):

* ``compiled``: one call of a numba-compiled loop over the rows
  (:mod:`seqfeed.core._kernels`; one ``memcpy`` for the steps and one for the
  padding per row, no Python per row), used once the compiled kernels are loaded
  and the source already has the output dtype. (``pad`` of a whole set and
  ``BatchLoader`` go further: :func:`seqfeed.core._kernels.gather_rows` also
  gathers the rows and writes the mask in the same pass.)
* ``rows``: one ``memoryview`` slice copy per row for the real steps and one for
  the padding. ``memoryview`` slice assignment is a plain ``memcpy`` with far less
  per-call overhead than NumPy slicing, so long rows run near memory bandwidth.
* ``scatter``: fill the buffer with the padding value, then one boolean-mask
  assignment ``out[mask] = steps`` with each step viewed as one opaque element
  (``np.void`` of ``F * itemsize`` bytes). No Python loop at all, which wins when
  rows are short (token ids) and per-row overhead would dominate. Chosen by the
  bytes per row (below ``SCATTER_BELOW_BYTES``), not by the steps: 300 steps of 8
  float32 features are long rows, 300 token ids are short ones.
"""

from __future__ import annotations

import numpy as np

from ._kernels import _compiled, _pattern, compiled_available, fill_rows
from ._ragged import gather_index

# From a contiguous ragged array: rows shorter than this many steps on average go
# through the scatter kernel (its cost grows with steps, the rows kernel's with rows).
# Measured crossover: ~400 steps for 8 float32 features, ~600 for one feature.
SCATTER_BELOW_STEPS = 384
# From a list of arrays the scatter kernel first needs a concatenation (one more
# copy); below this many bytes per row that is still cheaper than a loop over rows.
SCATTER_BELOW_BYTES = 512


def length_mask(counts: np.ndarray, T: int, padding: str) -> np.ndarray:
    """bool ``(B, T)``: True on the real steps of each row (from lengths only)."""
    steps = np.arange(T, dtype=np.int64)
    if padding == "post":
        return steps < counts[:, None]
    return steps >= (T - counts)[:, None]


def _void_view(a: np.ndarray, F: int) -> np.ndarray:
    """View the last axis (``F`` items) of a C-contiguous array as one opaque element."""
    vt = np.dtype((np.void, F * a.dtype.itemsize))
    return a.reshape(-1, F).view(vt).reshape(a.shape[:-1])


def fill_padded(values: np.ndarray, starts: np.ndarray, counts: np.ndarray, out: np.ndarray,
                *, padding: str, value, kernel: str | None = None, mask: np.ndarray | None = None) -> str:
    """Write ``values[starts[i] : starts[i] + counts[i]]`` into row ``i`` of ``out``.

    Args:
        values: ``(N, F)`` steps (any dtype; converted to ``out.dtype``).
        starts, counts: int64 ``(B,)`` first step and number of steps of each row.
        out: C-contiguous ``(B, T, F)``; every element is written (real or ``value``).
        padding: ``"post"`` puts the steps at the start of the row, ``"pre"`` at the end.
        kernel: force ``"rows"`` or ``"scatter"`` (default: chosen by row size).
        mask: the ``(B, T)`` length mask if the caller has it already.

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
        # chosen per call (per batch): the compiled kernel when it can read `values` in place,
        # else by the bytes per row (scatter for short rows, where a Python loop would dominate)
        if values.dtype == out.dtype and values.flags.c_contiguous and compiled_available(out.nbytes):
            kernel = "compiled"
        else:
            kernel = "scatter" if total * F * itemsize < SCATTER_BELOW_BYTES * B else "rows"
    if kernel == "compiled":
        return fill_rows(values, starts, counts, out, post=padding == "post", value=value, compiled=True)

    contiguous = bool(B == 1 or np.array_equal(starts[1:], starts[:-1] + counts[:-1]))
    if contiguous:
        a = int(starts[0])
        steps = values[a:a + total]
        starts = starts - a
    if kernel == "scatter":
        if not contiguous:
            steps = values[gather_index(starts, counts, total)]
        steps = np.ascontiguousarray(steps, dtype=out.dtype)
        if mask is None:
            mask = length_mask(counts, T, padding)
        out.fill(value)
        # one opaque element per step: NumPy then copies whole steps, not single items
        _void_view(out, F)[mask] = _void_view(steps, F)
        return kernel

    # rows kernel: needs C-contiguous steps of the output dtype
    if not contiguous:
        if values.dtype != out.dtype or not values.flags.c_contiguous:
            steps = np.ascontiguousarray(values[gather_index(starts, counts, total)], dtype=out.dtype)
            starts = np.zeros(B, dtype=np.int64)
            np.cumsum(counts[:-1], out=starts[1:])
        else:
            steps = values
    elif steps.dtype != out.dtype or not steps.flags.c_contiguous:
        steps = np.ascontiguousarray(steps, dtype=out.dtype)
    fill_rows(steps, starts, counts, out, post=padding == "post", value=value)  # compiled when available
    return kernel


def _copy_rows(out: np.ndarray, spans, *, src=None, arrays=None, padding: str, value) -> None:
    """Row by row: ``memoryview`` slice copies (a plain memcpy) of real steps and padding.

    ``spans`` yields ``(byte_offset, nbytes)`` into ``src``; or ``arrays`` yields
    C-contiguous arrays of ``out.dtype`` to copy whole (one per row).
    """
    B, T, F = out.shape
    row_bytes = T * F * out.dtype.itemsize
    dst = memoryview(out.reshape(-1)).cast("B")
    pattern = memoryview(np.full(T * F, value, dtype=out.dtype)).cast("B")
    pieces = spans if arrays is None else ((None, a) for a in arrays)
    d = 0
    post = padding == "post"
    for a, n in pieces:
        if arrays is None:
            chunk = src[a:a + n]
        elif n.size:
            chunk = memoryview(n).cast("B")
            n = chunk.nbytes
        else:  # an empty sequence: padding only
            chunk, n = b"", 0
        if post:
            dst[d:d + n] = chunk
            if n < row_bytes:
                dst[d + n:d + row_bytes] = pattern[:row_bytes - n]
        else:
            gap = row_bytes - n
            if gap:
                dst[d:d + gap] = pattern[:gap]
            dst[d + gap:d + row_bytes] = chunk
        d += row_bytes


def fill_padded_from_arrays(arrays, counts: np.ndarray, out: np.ndarray, *, padding: str,
                            truncating: str, value) -> None:
    """Rows kernel straight from a list of ``(T_i, F)`` arrays (no intermediate ragged copy)."""
    dt = out.dtype

    def rows():
        for a, c in zip(arrays, counts.tolist()):
            L = a.shape[0]
            if c < L:
                a = a[L - c:] if truncating == "pre" else a[:c]
            if a.dtype != dt or not a.flags.c_contiguous:
                a = np.ascontiguousarray(a, dtype=dt)
            yield a

    _copy_rows(out, None, arrays=rows(), padding=padding, value=value)


class SetPadder:
    """Pads batch after batch of one set in one compiled call each (for batch loaders).

    Everything that does not depend on the batch is prepared once here: the set's
    steps as bytes, its offsets and lengths, one row of padding bytes. A batch is
    then two compiled calls (:meth:`longest`, then :meth:`pad`: gather, copy, padding,
    mask and lengths in one pass) and two small allocations, with no Python step per
    row and no check repeated per batch.

    ``usable`` is False when the set cannot be read in place (its steps are not
    C-contiguous ``dtype``, or it has no steps); :meth:`ready` is False whenever
    the compiled kernels are not (yet) in use, and the caller then pads with
    :func:`~seqfeed.core.pad_set` (the same bytes, tested).
    """

    def __init__(self, seqs, *, dtype, value, padding: str):
        values = seqs.values
        self.dtype = np.dtype(dtype)
        self.value = value
        self.usable = bool(values.dtype == self.dtype and values.flags.c_contiguous and values.size > 0)
        self.lengths = np.ascontiguousarray(seqs.lengths, dtype=np.int64)
        self.n_features = seqs.n_features
        self._offsets = np.ascontiguousarray(seqs.offsets, dtype=np.int64)
        self._values = values.reshape(-1).view(np.uint8) if self.usable else None
        self._step = self.n_features * self.dtype.itemsize
        self._post = padding == "post"
        self._pattern = _pattern(self.dtype, value, 1)
        self._kernel = None
        self._longest = None

    def ready(self, n_steps: int) -> bool:
        """Whether :meth:`pad` can pad a batch of ``n_steps`` padded steps (the compiled kernels are in
        use: loaded once the process has padded enough, or as soon as numba is imported)."""
        if self._kernel is None:
            if not self.usable or not compiled_available(n_steps * self._step):
                return False
            kernels = _compiled()
            self._kernel, self._longest = kernels["gather"], kernels["longest"]
        return True

    def longest(self, indices: np.ndarray) -> int:
        """The most steps among the sequences ``indices`` (int64, C-contiguous, in range, not checked)."""
        if self._longest is not None:
            return self._longest(self._offsets, indices)
        return int(self.lengths[indices].max()) if indices.size else 0

    def pad(self, indices: np.ndarray, T: int, out: np.ndarray, out_bytes: np.ndarray | None = None):
        """Rows ``indices`` (int64, in range, not checked) padded to ``T`` steps (longer rows keep their
        last ``T``) into the start of ``out`` (a 1-D C-contiguous buffer of ``dtype`` with at least
        ``len(indices) * T * n_features`` elements; ``out_bytes``: its uint8 view, if the caller keeps
        one): ``(x, mask, lengths)``, ``x`` a view of ``out``, ``mask`` and ``lengths`` new arrays.
        Needs :meth:`ready`, ``len(indices) > 0`` and ``T > 0``."""
        B = indices.size
        n = B * T
        kernel = self._kernel
        if kernel is None or n == 0 or out.size < n * self.n_features:
            raise ValueError("SetPadder.pad: call ready() first; needs rows, T > 0 and a large enough buffer")
        pattern = self._pattern
        if pattern.size < T * self._step:
            pattern = self._pattern = _pattern(self.dtype, self.value, T * self.n_features)
        mask = np.empty(n, dtype=np.uint8)
        lengths = np.empty(B, dtype=np.int64)
        if not indices.flags.c_contiguous:
            indices = np.ascontiguousarray(indices)
        kernel(self._values, self._offsets, indices, self._step, T, True, self._post, pattern,
               out.view(np.uint8) if out_bytes is None else out_bytes, mask, lengths)
        return out[:n * self.n_features].reshape(B, T, self.n_features), mask.view(bool).reshape(B, T), lengths
