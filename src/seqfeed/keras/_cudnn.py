"""Can a batch (and a layer) take the cuDNN kernel? Say why not."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class CudnnCheck:
    """``ok`` plus the reasons a GPU would fall back to the generic kernel (or fail)."""

    ok: bool
    reasons: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return "cuDNN-compatible" if self.ok else "not cuDNN-compatible: " + "; ".join(self.reasons)


def cudnn_compatible(batch_or_mask, layer=None) -> CudnnCheck:
    """Check the cuDNN rules for a mask (a :class:`seqfeed.Batch` or a bool ``(B, T)`` array)
    and optionally a Keras ``LSTM``/``GRU`` layer (or ``Bidirectional`` wrapper).

    Mask rules: strictly right padded (each row is Trues then Falses: post padding)
    and no fully masked (empty) row. Layer rules: ``tanh`` activation, ``sigmoid``
    recurrent activation, ``use_bias=True``, ``unroll=False``,
    ``recurrent_dropout == 0`` and, for GRU, ``reset_after=True``.
    This function needs no TensorFlow for the mask part.
    """
    reasons = []
    mask = getattr(batch_or_mask, "mask", batch_or_mask)
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        reasons.append(f"the mask must be 2-D (batch, time_steps); got shape {m.shape}")
    else:
        lengths = m.sum(axis=1)
        right = np.arange(m.shape[1])[None, :] < lengths[:, None]
        bad = np.flatnonzero((m != right).any(axis=1))
        if bad.size:
            reasons.append(f"row {int(bad[0])} is not right-padded (post padding: real steps first, "
                           f"then padding; {bad.size} row(s) in all)")
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            reasons.append(f"row {int(empty[0])} is fully masked ({empty.size} empty row(s))")
    if layer is not None:
        inner = [layer.forward_layer, layer.backward_layer] if hasattr(layer, "forward_layer") else [layer]
        for lay in inner:
            cfg = lay.get_config()
            name = type(lay).__name__
            if cfg.get("activation") != "tanh":
                reasons.append(f"{name} activation is {cfg.get('activation')!r}, cuDNN needs 'tanh'")
            if cfg.get("recurrent_activation") != "sigmoid":
                reasons.append(f"{name} recurrent_activation is {cfg.get('recurrent_activation')!r}, "
                               f"cuDNN needs 'sigmoid'")
            if not cfg.get("use_bias", True):
                reasons.append(f"{name} has use_bias=False")
            if cfg.get("unroll"):
                reasons.append(f"{name} has unroll=True")
            if cfg.get("recurrent_dropout", 0):
                reasons.append(f"{name} has recurrent_dropout={cfg.get('recurrent_dropout')}")
            if name == "GRU" and not cfg.get("reset_after", True):
                reasons.append("GRU has reset_after=False")
    return CudnnCheck(ok=not reasons, reasons=reasons)
