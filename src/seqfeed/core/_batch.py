"""`Batch`: one padded batch, its length mask and the bookkeeping to map it back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._sequence_set import SequenceSet

__all__ = ["Batch"]


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
    """

    x: np.ndarray
    mask: np.ndarray
    lengths: np.ndarray
    y: np.ndarray | None = None
    index: np.ndarray | None = None
    padding: str = "post"
    sample_weight: np.ndarray | None = None

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
