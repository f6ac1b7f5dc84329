"""`as_lstm_input`: any raw form -> a padded :class:`Batch` (conversion, then padding)."""

from __future__ import annotations

import numbers

import numpy as np

from .._errors import check_choice
from ._batch import Batch
from ._convert import LAYOUTS_2D, as_sequence_set
from ._pad import pad

__all__ = ["as_lstm_input"]


def as_lstm_input(data, *, layout: str | None = None, lengths=None, mask=None,
                  input_padding: str = "auto", maxlen: int | None = None, padding: str = "post",
                  truncating: str = "pre", value=0.0, dtype="float32", targets=None) -> Batch:
    """Turn any raw form into a :class:`Batch` an LSTM accepts, ``x`` of shape ``(B, T, F)``.

    * a 1-D series (array or list of numbers) ``(T,)`` -> ``(1, T, 1)``;
    * a 2-D array needs ``layout``: ``"time_features"`` (one ``(T, F)`` sequence ->
      ``(1, T, F)``) or ``"batch_time"`` (``(B, T)`` one-feature sequences ->
      ``(B, T, 1)``). Without it the call fails and says which to choose;
    * a 3-D array ``(B, T, F)`` passes through; give ``lengths`` or ``mask`` if it
      is padded;
    * a list of variable-length sequences, an Arrow list column or a
      :class:`SequenceSet` is padded (see :func:`seqfeed.pad` for the options).

    Example:
        >>> as_lstm_input(np.arange(10.0)).x.shape
        (1, 10, 1)
    """
    op = "as_lstm_input"
    check_choice(op, "padding", padding, ("pre", "post"))
    check_choice(op, "input_padding", input_padding, ("auto", "pre", "post"))
    if layout is not None:
        check_choice(op, "layout", layout, LAYOUTS_2D)
    if isinstance(data, (list, tuple)) and data and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in data):
        data = np.asarray(data, dtype=np.float64)  # a flat list of numbers is one series
    seqs = as_sequence_set(data, lengths=lengths, mask=mask, input_padding=input_padding,
                           layout=layout, targets=targets, _op=op)
    return pad(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=value, dtype=dtype)
