"""The Keras-exact `timeseries_windows`: every window of one array as a zero-copy strided view.

Shape symbols: ``n`` windows, ``L`` window length, ``*step_shape`` the shape of one step.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._errors import ConfigError, ShapeError, check_int, shape_str
from ..core import check_numeric
from ._common import readonly

__all__ = ["timeseries_windows"]


def timeseries_windows(data, targets, sequence_length, *, sequence_stride=1, sampling_rate=1,
                       start_index=None, end_index=None):
    """All windows of ``keras.utils.timeseries_dataset_from_array`` as two arrays.

    ``X`` equals the concatenation of every batch of
    ``timeseries_dataset_from_array(data, targets, sequence_length, ..., shuffle=False)``
    (values, dtype and shape; tested against Keras itself):

    * the windows are cut from ``data[s:e]`` with ``s = start_index or 0`` and
      ``e = end_index or len(data)``;
    * ``n = (e - s) - (sequence_length - 1) * sampling_rate`` candidate starts,
      capped at ``len(targets)`` when targets are given;
    * window ``j`` starts at ``p_j = j * sequence_stride`` (``p_j < n``) and holds
      ``data[s + p_j + k * sampling_rate]`` for ``k < sequence_length``;
    * its target is ``targets[s + p_j]``: the target pairs with the window's FIRST
      step. For next-step forecasting pass ``data[:-1]`` and ``targets=data[L:]``
      (the Keras docs' ``data[:-L]`` silently drops the last ``L - 1`` windows), or
      use :func:`sliding_windows`, which pairs targets with the window's last step.

    ``n <= 0`` gives empty arrays (no error), as in Keras.

    Args:
        data: array ``(N, *step_shape)``, axis 0 is time. A NumPy array is not copied.
        targets: array ``(M, *target_shape)`` or None.
        sequence_length: ``L >= 1`` steps per window.
        sequence_stride: steps between the starts of consecutive windows (>= 1).
        sampling_rate: steps between consecutive steps of a window (>= 1).
        start_index: first step of ``data`` used (0 <= start_index < len(data)).
        end_index: steps from here on are not used (``start_index < end_index <
            len(data)``); None means "to the end".

    Returns:
        ``(X, y)``: ``X`` of shape ``(n_windows, L, *step_shape)`` with ``data``'s
        dtype, ``y`` of shape ``(n_windows, *target_shape)`` with ``targets``'s
        dtype, or None without targets. Both are READ-ONLY strided views of the
        inputs (zero copy; ``X`` overlaps itself when windows overlap): call
        ``X.copy()`` before writing. A non-NumPy input is converted once with
        ``np.asarray``.

    Raises:
        DataError: ``data`` does not hold numbers.
        ConfigError: ``sequence_length``, ``sequence_stride`` or ``sampling_rate`` < 1;
            ``start_index`` < 0 or >= len(data); ``end_index`` <= start or >= len(data).
        ShapeError: ``targets`` shorter than ``start_index`` + the last window start
            (Keras fails on the same input, but only while iterating).

    Differences from Keras: ``sequence_stride >= len(data)`` and
    ``sampling_rate >= len(data)`` are accepted (Keras rejects them even when a
    window fits) and ``end_index=0`` is an error (Keras skips its checks for a
    falsy 0 and yields nothing). Keras turns Python lists of floats into float32;
    here they become ``np.asarray``'s float64.

    Example:
        >>> X, y = timeseries_windows(np.arange(99), None, 10, sampling_rate=2, sequence_stride=3)
        >>> X.shape, y
        ((27, 10), None)
        >>> X[-1]
        array([78, 80, 82, 84, 86, 88, 90, 92, 94, 96])
    """
    op = "timeseries_windows"
    L = check_int(op, "sequence_length", sequence_length, minimum=1)
    stride = check_int(op, "sequence_stride", sequence_stride, minimum=1)
    rate = check_int(op, "sampling_rate", sampling_rate, minimum=1)
    s = check_int(op, "start_index", start_index, minimum=0, allow_none=True)
    e = check_int(op, "end_index", end_index, minimum=0, allow_none=True)
    s = 0 if s is None else s
    if e is not None and e <= s:
        raise ConfigError(
            f"{op}: `end_index` must be greater than `start_index`. Received: start_index={s}, "
            f"end_index={e}.", argument="end_index", received=e,
            fix="pass end_index=None for 'to the end'")

    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if arr.ndim == 0:
        raise ShapeError(f"{op}: `data` must have a time axis (axis 0). Received a scalar.",
                         argument="data", received=(), fix="pass an array whose axis 0 is time, shape (N, ...)")
    check_numeric(op, "data", arr)
    N = arr.shape[0]
    if s and s >= N:
        raise ConfigError(
            f"{op}: `start_index` must be lower than the length of the data. Received: "
            f"start_index={s}, for data of length {N}.", argument="start_index", received=s,
            fix=f"pass start_index in 0..{N - 1}, or None")
    if e is not None and e >= N:
        raise ConfigError(
            f"{op}: `end_index` must be lower than the length of the data. Received: "
            f"end_index={e}, for data of length {N}.", argument="end_index", received=e,
            fix="pass None for 'to the end'")
    e = N if e is None else e

    n = (e - s) - (L - 1) * rate
    tarr = None
    if targets is not None:
        tarr = targets if isinstance(targets, np.ndarray) else np.asarray(targets)
        if tarr.ndim == 0:
            raise ShapeError(f"{op}: `targets` must have one entry per step (axis 0). Received a scalar.",
                             argument="targets", received=(), fix="pass one target per step along axis 0, or None")
        n = min(n, tarr.shape[0])
    count = (n + stride - 1) // stride if n > 0 else 0
    if tarr is not None and count and s + (count - 1) * stride >= tarr.shape[0]:
        j = max(0, -(-(tarr.shape[0] - s) // stride))  # first window without a target
        need = s + j * stride
        raise ShapeError(
            f"{op}: window {j} starts at step {need} and needs targets[{need}], but "
            f"`targets` has {tarr.shape[0]} entries. Received targets shape {shape_str(tarr.shape)}.",
            argument="targets", received=tarr.shape, index=j,
            fix="pass targets aligned with data (targets[i] belongs to the window starting at "
                "data[i]), or drop start_index and slice data and targets yourself")

    shape = (count, L) + arr.shape[1:]
    if count:
        st0 = arr.strides[0]
        # an axis of length 1 never moves: its stride is irrelevant (and a huge one would overflow)
        X = as_strided(arr[s:], shape=shape, strides=(stride * st0 if count > 1 else st0,
                                                      rate * st0 if L > 1 else st0) + arr.strides[1:],
                       writeable=False)
    else:
        try:
            X = readonly(np.empty(shape, dtype=arr.dtype))
        except (ValueError, MemoryError):  # (0, L, ...) with an absurd L
            raise ConfigError(f"{op}: `sequence_length`={L} is too large for any array.",
                              argument="sequence_length", received=L,
                              fix="pass a sequence_length no longer than the data") from None
    y = None
    if tarr is not None:
        y = readonly(tarr[s:s + (count - 1) * stride + 1:stride] if count else tarr[:0])
    return X, y
