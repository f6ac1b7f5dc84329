"""`Batch`: one padded batch, its length mask and the bookkeeping to map it back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ShapeError, check_choice, shape_str
from ._sequence_set import SequenceSet

__all__ = ["Batch", "check_padded"]


def check_padded(op: str, x, mask):
    """``(x, mask)`` as arrays if ``x`` is ``(B, T, F)`` and ``mask`` bool ``(B, T)``, else a ShapeError."""
    x, mask = np.asarray(x), np.asarray(mask)
    if x.ndim != 3:
        raise ShapeError(f"{op}: `x` must be 3-D (batch, time_steps, features). Received shape "
                         f"{shape_str(x.shape)}.", argument="x", received=x.shape,
                         fix="pass x of shape (batch, time_steps, features), with its mask")
    if mask.shape != x.shape[:2] or mask.dtype != bool:
        raise ShapeError(f"{op}: `mask` must be bool with shape {shape_str(x.shape[:2])} (True on real steps). "
                         f"Received dtype {mask.dtype}, shape {shape_str(mask.shape)}.", argument="mask",
                         received=mask.shape, fix="pass the bool mask of x's first two axes (True on real steps)")
    return x, mask


@dataclass(eq=False)
class Batch:
    """A padded batch ready for an LSTM.

    Shapes use ``B`` = batch size, ``T`` = time steps of this batch (its longest
    member, or ``maxlen``), ``F`` = features per step.

    Attributes:
        x: ``(B, T, F)`` array, real steps and padding (``value``).
        mask: bool ``(B, T)``, True on real steps. It is computed from the lengths,
            never by comparing ``x`` with the padding value, so a real step whose
            features are all zero is still True.
        lengths: int64 ``(B,)``, real steps per row (after truncation).
        y: targets of the rows (``(B, ...)``), per-step targets padded to
            ``(B, T, ...)``, or None.
        index: int64 ``(B,)``: position of each row's sequence in its source set,
            so predictions map back to ids.
        padding: ``"post"`` (real steps first, the cuDNN layout) or ``"pre"``.
        sample_weight: optional ``(B,)`` or ``(B, T)`` weights (per-step targets
            get the mask as weights).

    Raises:
        ShapeError: ``x`` not 3-D, or ``mask``/``lengths`` that do not match its first axes.
        ConfigError: ``padding`` not 'pre' or 'post'.
    """

    x: np.ndarray
    mask: np.ndarray
    lengths: np.ndarray
    y: np.ndarray | None = None
    index: np.ndarray | None = None
    padding: str = "post"
    sample_weight: np.ndarray | None = None

    def __post_init__(self):
        """Shapes checked once (cheap: no values are read)."""
        op = "Batch"
        x, mask = check_padded(op, self.x, self.mask)
        lengths = np.asarray(self.lengths)
        if lengths.shape != x.shape[:1]:
            raise ShapeError(f"{op}: `lengths` must have one entry per row {shape_str(x.shape[:1])}. Received "
                             f"shape {shape_str(lengths.shape)}.", argument="lengths", received=lengths.shape,
                             fix="pass the real steps of each row")
        check_choice(op, "padding", self.padding, ("pre", "post"))

    @classmethod
    def _unchecked(cls, x, mask, lengths, y=None, index=None, padding="post", sample_weight=None) -> "Batch":
        """A Batch from arrays its caller built with the right shapes (a loader's per-batch path): the
        shape checks of ``__post_init__`` are skipped, nothing else differs."""
        b = object.__new__(cls)
        b.__dict__.update(x=x, mask=mask, lengths=lengths, y=y, index=index, padding=padding,
                          sample_weight=sample_weight)
        return b

    batch_size = property(lambda self: int(self.x.shape[0]), doc="``B``: rows (sequences) in the batch.")
    time_steps = property(lambda self: int(self.x.shape[1]), doc="``T``: time steps after padding.")
    n_features = property(lambda self: int(self.x.shape[2]), doc="``F``: features per step.")
    shape = property(lambda self: tuple(self.x.shape), doc="``(B, T, F)``, the shape of ``x``.")

    @property
    def inputs(self) -> dict:
        """``{"x": x, "mask": mask}``, the two inputs of seqfeed's Keras models."""
        return {"x": self.x, "mask": self.mask}

    @property
    def efficiency(self) -> float:
        """Real steps / padded steps (1.0 = no padding)."""
        total = self.x.shape[0] * self.x.shape[1]
        return float(self.lengths.sum() / total) if total else 1.0

    def unpad(self) -> list[np.ndarray]:
        """The real steps of each row, as views of ``x`` (``(lengths[i], F)`` each)."""
        T = self.x.shape[1]
        if self.padding == "post":
            return [self.x[i, :n] for i, n in enumerate(self.lengths.tolist())]
        return [self.x[i, T - n:] for i, n in enumerate(self.lengths.tolist())]

    def to_sequence_set(self):
        """The rows as a :class:`~seqfeed.SequenceSet` (copies the real steps)."""
        return SequenceSet.from_padded(self.x, lengths=self.lengths, input_padding=self.padding)

    def __repr__(self) -> str:
        y = "None" if self.y is None else f"{tuple(self.y.shape)}"
        return (f"Batch(x={tuple(self.x.shape)} {self.x.dtype}, mask={tuple(self.mask.shape)}, "
                f"lengths {int(self.lengths.min()) if self.lengths.size else 0}.."
                f"{int(self.lengths.max()) if self.lengths.size else 0}, y={y}, padding={self.padding!r})")
