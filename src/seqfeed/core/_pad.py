"""Padding: `pad` (ragged -> Batch with length mask) and the Keras-exact `pad_sequences`."""

from __future__ import annotations

import itertools
import math
import mmap
import numbers
import os

import numpy as np

from .._checks import round_up
from .._errors import ConfigError, DataError, ShapeError, check_choice, check_int, shape_str, warn
from ._batch import Batch
from ._convert import as_sequence_set
from ._copy import SCATTER_BELOW_BYTES, _copy_rows, fill_padded, fill_padded_from_arrays, length_mask
from ._kernels import array_list_lengths, compiled_available, compiled_loaded, gather_array_list, gather_rows
from ._ragged import _list_arrays, _list_to_values
from ._sequence_set import SequenceSet

__all__ = ["pad", "pad_sequences", "pad_set", "check_dtype", "check_value"]

_SIDES = ("pre", "post")


def check_dtype(op: str, dtype) -> np.dtype:
    """``dtype`` as a NumPy dtype of the padded ``x``: numeric (bool, int, uint, float), else a ConfigError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ConfigError(f"{op}: `dtype` is not a NumPy dtype. Received: dtype={dtype!r}.",
                          argument="dtype", received=dtype,
                          fix="pass a NumPy dtype such as 'float32' or 'int32'") from None
    if dt.kind not in "biuf":
        raise ConfigError(
            f"{op}: `dtype` must be a numeric dtype (bool, int, uint, float). Received: dtype={dtype!r}.",
            argument="dtype", received=dtype,
            fix="for strings use `seqfeed.pad_sequences(..., dtype=object)`")
    return dt


def check_value(op: str, value, dt: np.dtype):
    """The padding ``value``, checked to be a number that dtype ``dt`` stores unchanged (else a ConfigError)."""
    if isinstance(value, (bool, np.bool_)) and dt.kind == "b":
        return value
    if not isinstance(value, numbers.Real):
        raise ConfigError(f"{op}: `value` must be a number. Received: value={value!r}.",
                          argument="value", received=value, fix="pass a number such as value=0.0")
    if dt.kind in "iub":
        if not math.isfinite(float(value)) or float(value) != int(value):
            raise ConfigError(
                f"{op}: `value`={value!r} cannot be stored in dtype {dt} without changing it.",
                argument="value", received=value,
                fix=f"use an integer padding value or a float dtype such as 'float32'")
        if dt.kind != "b":
            info = np.iinfo(dt)
            if not info.min <= int(value) <= info.max:
                raise ConfigError(
                    f"{op}: `value`={value!r} is outside the range of {dt} ({info.min}..{info.max}).",
                    argument="value", received=value,
                    fix=f"pass a value within {info.min}..{info.max}, or a wider dtype")
    return value


def _too_big(op: str, shape: tuple, dt: np.dtype) -> ConfigError:
    need = math.prod(int(d) for d in shape) * dt.itemsize
    return ConfigError(
        f"{op}: the padded result {shape_str(shape)} of {dt} would need {need:,} bytes "
        f"({need / 2**30:,.1f} GiB), more than this machine can allocate.", argument="maxlen",
        received=shape, fix="pass a smaller `maxlen`, pad fewer sequences at a time (a "
                            "seqfeed.BatchLoader pads batch by batch), or a smaller dtype")


_MEMORY: list = []


def _physical_memory() -> int:
    if not _MEMORY:  # asked once per process: it is on every padding call's path
        try:
            _MEMORY.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
            _MEMORY.append(1 << 62)
    return _MEMORY[0]


def _gather_ok(values: np.ndarray, dt: np.dtype, nbytes: int) -> bool:
    """The compiled gather kernel can read ``values`` in place (and is, or now becomes, available)."""
    return values.dtype == dt and values.flags.c_contiguous and compiled_available(nbytes)


def _contiguous_offsets(seqs) -> np.ndarray:
    o = seqs.offsets
    return o if o.flags.c_contiguous and o.dtype == np.int64 else np.ascontiguousarray(o, dtype=np.int64)


# Large results get their own anonymous memory mapping instead of NumPy's allocator, which
# advises the kernel to back allocations of 4 MB or more with transparent huge pages: where
# memory is fragmented (a busy machine) every such fault can stall in memory compaction.
# Measured on the benchmark machine, writing a fresh 200 MB result: 0.1-0.5 s of CPU with
# np.empty, a steady 0.1 s from a plain mapping. The array is an ordinary writeable,
# C-contiguous array whose `.base` is the mapping (freed with the array).
_MAPPED_FROM_BYTES = 64 << 20
_ANONYMOUS = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0) \
    if hasattr(mmap, "MAP_ANONYMOUS") and hasattr(mmap, "MAP_PRIVATE") else 0


def _mapped(shape: tuple, dt: np.dtype, nbytes: int) -> np.ndarray:
    try:
        buf = mmap.mmap(-1, nbytes, flags=_ANONYMOUS)
    except (OSError, OverflowError, ValueError):
        raise MemoryError from None
    return np.frombuffer(buf, dtype=dt).reshape(shape)


def _alloc(op: str, shape: tuple, dt, *, fill=None) -> np.ndarray:
    """``np.empty``/``np.full`` that reports an impossible size as a ConfigError with the bytes.

    More than the machine's physical memory is refused up front: the allocation itself
    might succeed (overcommit) and then fail while being filled, killing the process.
    """
    dt = np.dtype(dt)
    nbytes = math.prod(int(d) for d in shape) * dt.itemsize
    if nbytes > _physical_memory():
        raise _too_big(op, shape, dt)
    try:
        if fill is None and nbytes >= _MAPPED_FROM_BYTES and _ANONYMOUS and dt.itemsize:
            return _mapped(shape, dt, nbytes)
        return np.empty(shape, dtype=dt) if fill is None else np.full(shape, fill, dtype=dt)
    except (MemoryError, ValueError) as e:
        if isinstance(e, ValueError) and "too big" not in str(e) and "maximum" not in str(e):
            raise
        raise _too_big(op, shape, dt) from None


def _mask(op: str, counts: np.ndarray, T: int, padding: str, dt) -> np.ndarray:
    if (counts.shape[0] + 8) * T > _physical_memory():
        raise _too_big(op, (counts.shape[0], T), np.dtype(bool))
    try:
        return length_mask(counts, T, padding)
    except (MemoryError, ValueError):
        raise _too_big(op, (counts.shape[0], T), np.dtype(bool)) from None


def _unshared(arr: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``arr``, or a copy of it when it overlaps the output buffer (``out=`` aliasing input)."""
    return arr.copy() if np.may_share_memory(arr, out) else arr


def _check_int_cast(op: str, a: np.ndarray, dt: np.dtype, where: str, index=None) -> None:
    """Float values cast to an integer dtype must be finite and in range (else NumPy gives garbage)."""
    if dt.kind not in "iu" or a.dtype.kind != "f" or not a.size:
        return
    info = np.iinfo(dt)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(a) | (a < info.min) | (a > info.max)
    if bad.any():
        v = a.flat[int(np.argmax(bad.ravel()))]
        raise DataError(f"{op}: {where} holds {v!r}, which dtype {dt} cannot hold "
                        f"(range {info.min}..{info.max}); the cast would give an undefined integer.",
                        argument="dtype", received=float(v), index=index,
                        fix="pass a float dtype such as dtype='float32', or fill/clip the values first")


def _check_out(op: str, out, shape: tuple, dt: np.dtype) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise ConfigError(f"{op}: `out` must be a NumPy array. Received type {type(out).__name__}.",
                          argument="out", received=type(out).__name__,
                          fix="pass a NumPy array to write into, or leave out `out`")
    if out.dtype != dt:
        raise ConfigError(f"{op}: `out` has dtype {out.dtype} but dtype={str(dt)!r} was requested.",
                          argument="out", received=str(out.dtype),
                          fix=f"allocate the buffer with dtype {dt} or pass dtype={str(out.dtype)!r}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ConfigError(f"{op}: `out` must be a writeable C-contiguous array.", argument="out",
                          fix="allocate it with np.empty(shape, dtype)")
    need = math.prod(int(d) for d in shape)
    if out.ndim == 1:
        if out.shape[0] < need:
            raise ShapeError(
                f"{op}: the 1-D `out` buffer holds {out.shape[0]} elements; this batch needs "
                f"{need} = {' x '.join(map(str, shape))}.", argument="out", received=out.shape,
                fix="allocate a buffer for the largest batch (batch_size x max time_steps x features)")
        return out[:need].reshape(shape)
    if tuple(out.shape) != tuple(shape):
        raise ShapeError(
            f"{op}: `out` has shape {shape_str(out.shape)}; this batch is {shape_str(shape)}.",
            argument="out", received=out.shape,
            fix="pass an exactly shaped buffer, or a 1-D buffer of at least that many elements "
                "(the result is then a view of its start)")
    return out


def pad(data, *, maxlen: int | None = None, padding: str = "post", truncating: str = "pre",
        value=0.0, dtype="float32", out: np.ndarray | None = None, multiple_of: int | None = None,
        lengths=None, mask=None, input_padding: str = "auto") -> Batch:
    """Pad variable-length sequences into a :class:`Batch` with a length mask.

    Args:
        data: a :class:`SequenceSet`; a list of ``(T_i,)`` or ``(T_i, F)``
            arrays/lists; an Arrow list array; or a dense ``(B, T, F)`` array with
            ``lengths`` or ``mask``.
        maxlen: time steps of the result. Default: the longest sequence. Longer
            sequences are truncated.
        padding: ``"post"`` (default; real steps first, what cuDNN needs) or ``"pre"``.
        truncating: ``"pre"`` (default, as Keras: keep the last ``maxlen`` steps)
            or ``"post"`` (keep the first).
        value: the padding value. It never decides the mask.
        dtype: dtype of ``x`` (default ``"float32"``).
        out: a buffer to fill instead of allocating: C-contiguous, of ``dtype``,
            shaped exactly ``(B, T, F)`` or 1-D with at least ``B*T*F`` elements (the
            result is then a view of its start). Reuse it batch after batch.
        multiple_of: round ``T`` up to a multiple of this (bounds the number of
            distinct shapes a model sees). Only without ``maxlen``.
        lengths, mask: real-step counts or the bool mask of a dense 3-D input.
        input_padding: side of the real steps in a dense input given with
            ``lengths``: ``"post"``/``"pre"``; ``"auto"`` reads it off ``mask`` and
            means ``"post"`` with ``lengths``.

    Returns:
        A :class:`Batch`: ``x`` ``(B, T, F)`` of ``dtype``, ``mask`` bool ``(B, T)``
        True on real steps (``mask[i, t] == (t < lengths[i])`` for post padding,
        ``t >= T - lengths[i]`` for pre), ``lengths`` int64 ``(B,)`` after truncation,
        ``y`` the set's targets (per-step targets padded to ``(B, T, ...)`` with a
        mask ``sample_weight``), ``index`` ``arange(B)``.

    Raises:
        ConfigError: an option out of range or not one of its choices (``maxlen`` < 0,
            ``padding``/``truncating`` not 'pre'/'post', ``dtype``, ``value``).
        ShapeError: sequences whose steps have different feature shapes (names the first one).
        DataError: a sequence that does not hold numbers, or NaN/inf where the dtype is an integer one.

    Example:
        >>> b = pad([[1.0, 0.0, 2.0], [0.0]])
        >>> b.x[..., 0]
        array([[1., 0., 2.],
               [0., 0., 0.]], dtype=float32)
        >>> b.mask
        array([[ True,  True,  True],
               [ True, False, False]])
    """
    op = "pad"
    check_choice(op, "padding", padding, _SIDES)
    check_choice(op, "truncating", truncating, _SIDES)
    check_choice(op, "input_padding", input_padding, ("auto", "pre", "post"))
    maxlen = check_int(op, "maxlen", maxlen, minimum=0, allow_none=True)
    multiple_of = check_int(op, "multiple_of", multiple_of, minimum=1, allow_none=True)
    if maxlen is not None and multiple_of is not None:
        raise ConfigError(f"{op}: pass `maxlen` or `multiple_of`, not both.", argument="multiple_of",
                          received=multiple_of, fix="pass either maxlen or multiple_of")
    dt = check_dtype(op, dtype)
    value = check_value(op, value, dt)

    if type(data) is list and lengths is None and mask is None and out is None:
        batch = _pad_list_compiled(data, maxlen=maxlen, padding=padding, truncating=truncating,
                                   value=value, dtype=dt, multiple_of=multiple_of, op=op)
        if batch is not None:
            return batch
    if isinstance(data, (list, tuple)) and lengths is None and mask is None and dt.kind not in "iu":
        return _pad_list(data, maxlen=maxlen, padding=padding, truncating=truncating, value=value,
                         dtype=dt, out=out, multiple_of=multiple_of, op=op)
    seqs = as_sequence_set(data, lengths=lengths, mask=mask, input_padding=input_padding, _op=op)
    _check_int_cast(op, np.asarray(seqs.values), dt, "the data")
    return pad_set(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=value,
                   dtype=dt, out=out, multiple_of=multiple_of)


def _sequence_set_pad(self, **options) -> Batch:
    """Pad into a :class:`~seqfeed.Batch`; see :func:`seqfeed.pad` for the options."""
    return pad(self, **options)


# `SequenceSet.pad`: defined here, beside `pad`, because padding is a layer above the container
# (_sequence_set.py imports nothing from this module).
_sequence_set_pad.__name__, _sequence_set_pad.__qualname__ = "pad", "SequenceSet.pad"
SequenceSet.pad = _sequence_set_pad


def _pad_list_compiled(sequences, *, maxlen, padding, truncating, value, dtype, multiple_of, op):
    """`pad` of a list of arrays of exactly ``dtype`` in one compiled pass (None when it does not apply)."""
    if not sequences or type(sequences[0]) is not np.ndarray or sequences[0].ndim not in (1, 2):
        return None
    done = _padded_from_array_list(op, sequences, maxlen, dtype, padding, truncating, value, multiple_of)
    if done is None:
        return None
    x, lens = done
    B, T = x.shape[:2]
    if x.ndim == 2:
        x = x.reshape(B, T, 1)
    counts = np.minimum(lens, T)
    return Batch(x=x, mask=_mask(op, counts, T, padding, dtype), lengths=counts, y=None,
                 index=np.arange(B, dtype=np.int64), padding=padding)


def _pad_list(sequences, *, maxlen, padding, truncating, value, dtype, out, multiple_of, op):
    """Long rows straight from the caller's arrays into the output (one copy, not two).

    Short rows are concatenated once instead, then scattered without a Python loop.
    """
    arrays, F, lengths = _list_arrays(op, sequences)
    B = len(arrays)
    if B == 0 or lengths.sum() * F * dtype.itemsize < SCATTER_BELOW_BYTES * B:
        values, offsets = _list_to_values(op, None, checked=(arrays, F, lengths))
        return pad_set(SequenceSet(values, offsets), maxlen=maxlen, padding=padding, truncating=truncating,
                       value=value, dtype=dtype, out=out, multiple_of=multiple_of, _op=op)
    if maxlen is None:
        T = int(lengths.max())
        T = round_up(T, multiple_of)
    else:
        T = maxlen
    counts = np.minimum(lengths, T)
    shape = (B, T, F)
    x = _alloc(op, shape, dtype) if out is None else _check_out(op, out, shape, dtype)
    m = _mask(op, counts, T, padding, dtype)
    if out is not None:
        arrays = [_unshared(a, x) for a in arrays]
    fill_padded_from_arrays(arrays, counts, x, padding=padding, truncating=truncating, value=value)
    return Batch(x=x, mask=m, lengths=counts, y=None,
                 index=np.arange(B, dtype=np.int64), padding=padding)


def pad_set(data, *, indices=None, maxlen=None, padding="post", truncating="pre", value=0.0,
            dtype=np.float32, out=None, multiple_of=None, spans=None, _op="pad") -> Batch:
    """`pad` on a validated SequenceSet, optionally on a subset ``indices`` (no checks).

    ``_op`` is private: the name of the calling operation, used in error messages.

    ``spans``: optional ``(first_step, n_steps)`` int arrays, one per selected row:
    only that part of each sequence is used (random crops for augmentation).
    """
    op = _op
    dt = np.dtype(dtype)
    if indices is None:
        index = np.arange(len(data), dtype=np.int64)
        starts = data.offsets[:-1]
        lengths = data.lengths
    else:
        index = np.asarray(indices, dtype=np.int64)
        starts = data.offsets[index]
        lengths = data.lengths[index]
    if spans is not None:
        starts = starts + np.asarray(spans[0], dtype=np.int64)
        lengths = np.asarray(spans[1], dtype=np.int64)
    B, F = int(index.size), data.n_features
    if maxlen is None:
        T = int(lengths.max()) if B else 0
        T = round_up(T, multiple_of)
    else:
        T = maxlen
    shape = (B, T, F)
    x = _alloc(op, shape, dt) if out is None else _check_out(op, out, shape, dt)
    values = data.values if out is None else _unshared(data.values, x)
    if spans is None and x.size and _gather_ok(values, dt, x.nbytes):
        # one compiled pass: gather + copy + padding + mask + lengths, no intermediate arrays
        m = _alloc(op, (B, T), bool)
        counts = np.empty(B, dtype=np.int64)
        gather_rows(values, _contiguous_offsets(data), np.ascontiguousarray(index), x,
                    post=padding == "post", pre_trunc=truncating == "pre", value=value, mask=m, lengths=counts)
        if data.step_targets is not None:
            starts = starts + (lengths - counts) if truncating == "pre" else starts
    else:
        counts = np.minimum(lengths, T)
        if truncating == "pre":
            starts = starts + (lengths - counts)
        m = _mask(op, counts, T, padding, dt)
        fill_padded(values, starts, counts, x, padding=padding, value=value, mask=m)
    y = sample_weight = None
    if data.targets is not None:
        y = data.targets[index] if indices is not None else data.targets
    elif data.step_targets is not None:
        st = data.step_targets
        st2 = st.reshape(st.shape[0], -1)
        ybuf = _alloc(op, (B, T, st2.shape[1]), st.dtype)
        fill_padded(st2, starts, counts, ybuf, padding=padding, value=0, mask=m)
        y = ybuf.reshape((B, T) + st.shape[1:])
        sample_weight = m.astype(np.float32)
    return Batch(x=x, mask=m, lengths=counts.astype(np.int64, copy=False), y=y, index=index,
                 padding=padding, sample_weight=sample_weight)


# ---------------------------------------------------------------------------------------------
# Keras-exact pad_sequences
# ---------------------------------------------------------------------------------------------
def _step_shape(op, s, i) -> tuple:
    """The shape of one step of ``sequences[i]`` (DataError when its steps are ragged)."""
    try:
        return np.asarray(s).shape[1:]
    except ValueError:
        raise DataError(f"{op}: `sequences[{i}]` has steps of different shapes (ragged rows).",
                        argument="sequences", index=i, fix="give every step the same number of features") from None


def _other_step_shape(op, i, shape, step_shape, received) -> ShapeError:
    return ShapeError(f"{op}: `sequences[{i}]` has step shape {shape_str(shape)}, expected "
                      f"{shape_str(step_shape)} (from the first non-empty sequence).", argument="sequences",
                      received=received, index=i, fix="give every sequence the same number of features per step")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Drop-in for ``keras.utils.pad_sequences``: same signature, defaults and output.

    For every input Keras accepts, the returned array is identical in values, dtype
    and shape (tested against Keras itself): ``(len(sequences), maxlen) + step_shape``
    where ``step_shape`` comes from the first non-empty sequence; truncation first
    (``"pre"`` keeps the last ``maxlen`` steps), then a cast to ``dtype``, then
    padding with ``value``.

    Stricter than Keras (each raises a :class:`SeqfeedError` before any work):

    * ``padding`` and ``truncating`` are checked up front, even when every
      sequence is empty (Keras checks them only inside its loop).
    * ``maxlen`` must be an integer >= 0 (Keras does not check it; ``maxlen=0``
      with ``truncating="pre"`` fails there with a broadcasting error, here it
      gives ``(N, 0)``).
    * an empty list gives an array of shape ``(0, maxlen or 0)`` instead of an error.
    * a sequence whose step shape differs names the sequence and both shapes.

    * a NaN, infinite or out-of-range ``value`` with an integer ``dtype`` (Keras
      pads with an undefined integer such as ``-2147483648``); with a float dtype
      NaN padding works as in Keras.
    * a padded result too large to allocate names the bytes it needs.

    Warnings (the output stays identical to Keras): float data or a fractional
    ``value`` cast to an integer ``dtype`` (the Keras default ``"int32"`` silently
    truncates ``0.7`` to ``0``).

    Unlike :func:`pad`, this returns only the array: build the mask from lengths
    with :func:`pad` when you need one.

    Raises:
        ConfigError: ``sequences`` is not a list, or an option is invalid (``maxlen``, ``dtype``, ``padding``,
            ``truncating``, ``value``).
        DataError: a sequence whose values cannot be cast to ``dtype`` (text, NaN into an integer dtype).
    """
    op = "pad_sequences"
    check_choice(op, "padding", padding, _SIDES)
    check_choice(op, "truncating", truncating, _SIDES)
    if maxlen is not None:
        maxlen = check_int(op, "maxlen", maxlen, minimum=0)
    if not hasattr(sequences, "__len__") or isinstance(sequences, (str, bytes)):
        raise ConfigError(f"{op}: `sequences` must be a list of sequences. Received type "
                          f"{type(sequences).__name__}.", argument="sequences", received=type(sequences).__name__,
                          fix="pass a list (e.g. `list(generator)`)")
    try:
        if dtype is None:
            raise TypeError
        np_dtype = np.dtype(dtype)
    except TypeError:
        raise ConfigError(f"{op}: `dtype` is not a NumPy dtype. Received: dtype={dtype!r}.",
                          argument="dtype", received=dtype,
                          fix="pass a NumPy dtype such as 'float32' or 'int32'") from None
    is_str_dtype = dtype is object or np.issubdtype(np_dtype, np.str_) or np.issubdtype(
        np_dtype, np.bytes_)
    if not isinstance(value, (str, bytes, numbers.Number)):
        raise ConfigError(f"{op}: `value` must be a number (or a str with dtype=object). "
                          f"Received: value={value!r:.40}.", argument="value", received=value,
                          fix="pass a number such as value=0.0")
    if np_dtype.kind in "iub" and isinstance(value, numbers.Real):
        v = float(value)
        lo, hi = (0, 1) if np_dtype.kind == "b" else (np.iinfo(np_dtype).min, np.iinfo(np_dtype).max)
        if not math.isfinite(v) or (np_dtype.kind != "b" and not lo <= v <= hi):
            # Keras fills with a wrapped or platform-dependent integer here
            raise ConfigError(
                f"{op}: `value`={value!r} cannot be stored in dtype {np_dtype} "
                f"(range {lo}..{hi}); Keras would pad with an undefined integer.",
                argument="value", received=value,
                fix="pass a float dtype such as dtype='float32' to pad with NaN/inf, or an "
                    "integer `value` in range")
    if isinstance(value, str) and not is_str_dtype:
        raise ConfigError(
            f"{op}: `dtype` {dtype} is not compatible with a string `value` ({value!r}).",
            argument="value", received=value, fix="set dtype=object for variable-length strings")
    if np_dtype.kind in "biuf":
        x = _pad_sequences_arrays(op, sequences, maxlen, np_dtype, padding, truncating, value)
        if x is None:
            x = _pad_sequences_lists(op, sequences, maxlen, np_dtype, padding, truncating, value)
        if x is not None:
            return x
    n = len(sequences)
    lens = []
    step_shape = ()
    found = False
    for i, s in enumerate(sequences):
        try:
            k = len(s)
        except TypeError:
            raise DataError(f"{op}: `sequences[{i}]` is not a sequence (received {type(s).__name__} "
                            f"{s!r:.40}).", argument="sequences", index=i,
                            fix="pass a list of lists/arrays; wrap a single sequence as [seq]") from None
        lens.append(k)
        if not found and k:
            step_shape = _step_shape(op, s, i)
            found = True
    if maxlen is None:
        maxlen = max(lens) if lens else 0
    fast = np.dtype(dtype).kind in "biuf"
    if fast and n and maxlen:
        x = _alloc(op, (n, maxlen) + step_shape, dtype)  # every element is written below
    else:
        x = _alloc(op, (n, maxlen) + step_shape, dtype, fill=value)
    if isinstance(value, float) and not float(value).is_integer() and x.dtype.kind in "iub":
        warn(f"{op}: value={value!r} is cast to dtype {x.dtype} (it becomes "
             f"{np.asarray(value).astype(x.dtype)!r}); pass an integer value or a float dtype.")
    if maxlen == 0:  # no step is copied, but every sequence must still be a valid one
        for i, s in enumerate(sequences):
            if lens[i] and (shape := _step_shape(op, s, i)) != step_shape:
                raise _other_step_shape(op, i, shape, step_shape, shape)
    if n == 0 or maxlen == 0:
        return x
    F = int(np.prod(step_shape)) if step_shape else 1
    warned = x.dtype.kind not in "iub"
    checked_list = False
    parts = []
    for i, s in enumerate(sequences):
        if not lens[i]:
            if fast:
                parts.append(np.empty((0, F), dtype=x.dtype))
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if isinstance(trunc, np.ndarray):  # (lists that cannot be cast raise below)
            _check_int_cast(op, trunc, x.dtype, f"`sequences[{i}]`", index=i)
        try:
            arr = np.asarray(trunc, dtype=dtype)
        except (ValueError, TypeError, OverflowError) as e:
            raise DataError(f"{op}: `sequences[{i}]` cannot be converted to dtype {x.dtype}: {e}.",
                            argument="sequences", index=i, received=repr(trunc)[:60],
                            fix="convert that sequence to numbers first, or pass a dtype that holds its values") from None
        if arr.shape[1:] != step_shape:
            raise _other_step_shape(op, i, arr.shape[1:], step_shape, arr.shape)
        if not warned:
            # free for arrays; for Python lists only the first one is converted twice
            src = trunc if isinstance(trunc, np.ndarray) else None
            if src is None and not checked_list:
                src, checked_list = np.asarray(trunc), True
            if src is not None and src.dtype.kind in "fc" and np.any(src != np.trunc(src)):
                warn(f"{op}: sequences[{i}] holds non-integer values that dtype={str(x.dtype)!r} "
                     f"truncates (e.g. {src.flat[int(np.argmax(src != np.trunc(src)))]!r}); pass "
                     f"dtype='float32' to keep them.")
                warned = True
        if fast:
            parts.append(arr.reshape(arr.shape[0], F))
        elif padding == "post":
            x[i, :len(arr)] = arr
        else:
            x[i, -len(arr):] = arr
    if fast:
        counts = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        target = x.reshape(n, maxlen, F)
        if counts.sum() * F * x.dtype.itemsize >= SCATTER_BELOW_BYTES * n:
            _copy_rows_list(parts, target, padding, value)
        else:
            values = np.concatenate(parts) if len(parts) > 1 else parts[0]
            starts = np.zeros(n, dtype=np.int64)
            np.cumsum(counts[:-1], out=starts[1:])
            fill_padded(values, starts, counts, target, padding=padding, value=value)
    return x


def _pad_sequences_arrays(op, sequences, maxlen, dt, padding, truncating, value):
    """`pad_sequences` without a Python step per sequence, or None when the fast path does not apply.

    Applies when every element is a NumPy array whose dtype ``dt`` holds exactly (the
    concatenation has dtype ``dt``: no lossy cast, so no truncation warnings), all of
    the same rank >= 1 and step shape, not all empty:
    one concatenation, vectorised offsets, one kernel call. Identical output to the
    general path (tested).
    """
    n = len(sequences)
    if n == 0:
        return None
    done = _padded_from_array_list(op, sequences, maxlen, dt, padding, truncating, value)
    if done is not None:
        _warn_value_cast(op, value, dt)
        return done[0]
    try:
        if set(map(type, sequences)) != {np.ndarray}:
            return None
        lens = np.fromiter(map(len, sequences), dtype=np.int64, count=n)
    except TypeError:  # a 0-d array has no len()
        return None
    if not lens.any():
        return None  # every sequence empty: the general path keeps Keras' shape rules
    first = sequences[int(np.argmax(lens > 0))]
    long_rows = float(lens.mean()) * first.itemsize * (first.size // len(first)) >= SCATTER_BELOW_BYTES
    if long_rows:
        # few, long rows: check each array and copy straight from it (a concatenation would be
        # one more full copy of the data)
        kinds = {(a.dtype, a.shape[1:]) for a in sequences}
        if len(kinds) != 1:
            return None
        sdt, step_shape = next(iter(kinds))
        if sdt != dt:
            return None  # a cast (possibly lossy): the general path warns about it
        values = None
    else:
        try:
            # raises for mixed ranks or step shapes: the general path explains those
            values = np.concatenate(sequences)
        except (TypeError, ValueError):
            return None
        if values.dtype != dt:
            return None  # some element needs a cast (possibly lossy): the general path warns about it
        step_shape = values.shape[1:]
    T = int(lens.max()) if maxlen is None else maxlen
    if values is None and compiled_available(math.prod((n, T) + step_shape) * dt.itemsize):
        # (this call's bytes counted: the compiled kernels are loaded once a process has padded enough)
        done = _padded_from_array_list(op, sequences, maxlen, dt, padding, truncating, value)
        if done is not None:
            _warn_value_cast(op, value, dt)
            return done[0]
    x = _alloc(op, (n, T) + step_shape, dt)
    _warn_value_cast(op, value, dt)
    if x.size == 0:
        return x
    F = int(np.prod(step_shape)) if step_shape else 1
    counts = np.minimum(lens, T)
    if values is None:
        fill_padded_from_arrays(sequences, counts, x.reshape(n, T, F), padding=padding, truncating=truncating,
                                value=value)
        return x
    values = values.reshape(-1, F)
    starts = np.cumsum(lens) - lens
    if truncating == "pre":
        starts += lens - counts
    fill_padded(values, starts, counts, x.reshape(n, T, F), padding=padding, value=value)
    return x


def _pad_sequences_lists(op, sequences, maxlen, dt, padding, truncating, value):
    """`pad_sequences` on Python lists of numbers (token ids) without a NumPy call per sequence, or None
    when this path does not apply (then the general path gives the result, warning or error).

    Every element must be a ``list``; all values are converted in one pass
    (``np.fromiter``), which converts exactly as ``np.asarray(seq, dtype)`` does and
    raises where it raises (a value the dtype cannot hold, a nested sequence, None):
    then the general path runs and reports the sequence. The first non-empty
    sequence is checked for fractional floats as the general path does (same warning).
    """
    n = len(sequences)
    if n == 0 or set(map(type, sequences)) != {list}:
        return None
    lens = np.fromiter(map(len, sequences), dtype=np.int64, count=n)
    if not lens.any():
        return None  # every sequence empty: the general path keeps Keras' shape rules
    T = int(lens.max()) if maxlen is None else maxlen
    if T == 0:
        return None
    i = int(np.argmax(lens > 0))
    first = sequences[i]
    try:
        probe = np.asarray(first[-T:] if truncating == "pre" else first[:T])
    except (TypeError, ValueError):
        return None
    if probe.ndim != 1 or probe.dtype.kind not in "biuf":
        return None  # steps with features, strings, objects: the general path
    total = int(lens.sum())
    try:
        values = np.fromiter(itertools.chain.from_iterable(sequences), dtype=dt, count=total)
    except (TypeError, ValueError, OverflowError):
        return None
    x = _alloc(op, (n, T), dt)
    _warn_value_cast(op, value, dt)
    if dt.kind in "iub" and probe.dtype.kind == "f" and np.any(probe != np.trunc(probe)):
        warn(f"{op}: sequences[{i}] holds non-integer values that dtype={str(dt)!r} "
             f"truncates (e.g. {probe.flat[int(np.argmax(probe != np.trunc(probe)))]!r}); pass "
             f"dtype='float32' to keep them.")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    out = x.reshape(n, T, 1)
    if compiled_available(x.nbytes):
        gather_rows(values, offsets, np.arange(n, dtype=np.int64), out, post=padding == "post",
                    pre_trunc=truncating == "pre", value=value, mask=None, lengths=np.empty(n, dtype=np.int64))
    else:
        counts = np.minimum(lens, T)
        starts = offsets[:-1] + (lens - counts if truncating == "pre" else 0)
        fill_padded(values.reshape(-1, 1), starts, counts, out, padding=padding, value=value)
    return x


def _padded_from_array_list(op, sequences, maxlen, dt, padding, truncating, value, multiple_of=None):
    """Compiled: ``(x, lengths)`` padded straight from a list of arrays, or None when that does not
    apply (an element that is not an exact C-contiguous ndarray of dtype ``dt`` with the first
    non-empty element's step shape; every element empty; an empty result; no compiled kernels).

    ``x``: ``(B, T) + step_shape``; ``lengths``: int64, before truncation.
    """
    if type(sequences) is not list or not compiled_loaded():
        return None
    first = None
    for s in sequences:
        if type(s) is not np.ndarray:
            return None
        if s.ndim and s.shape[0]:
            first = s
            break
    if first is None:
        return None
    step_shape = first.shape[1:]
    found = array_list_lengths(sequences, dt, step_shape)
    if found is None:
        return None
    ids, lens = found
    if maxlen is None:
        T = int(lens.max())
        if multiple_of:
            T = -(-T // multiple_of) * multiple_of
    else:
        T = maxlen
    shape = (len(sequences), T) + step_shape
    if math.prod(shape) == 0:
        return None
    x = _alloc(op, shape, dt)
    gather_array_list(sequences, ids, lens, x, post=padding == "post", pre_trunc=truncating == "pre", value=value)
    return x, lens


def _warn_value_cast(op, value, dt):
    if isinstance(value, float) and not float(value).is_integer() and dt.kind in "iub":
        warn(f"{op}: value={value!r} is cast to dtype {dt} (it becomes "
             f"{np.asarray(value).astype(dt)!r}); pass an integer value or a float dtype.")


def _copy_rows_list(parts, out, padding, value):
    _copy_rows(out, None, arrays=(np.ascontiguousarray(p) for p in parts), padding=padding, value=value)
