"""`Restructure`: how long sequences are presented to the model, as one value.

A restructuring is either applied to the data (``frame``, ``pool``, ``maxpool``,
``summary``: see ``_frames.py``) or built into the model as a strided front-end
(``conv``, ``msconv``), or nothing (``none``). The same value travels from the
command line (its text form, ``"frame:8"``) through the automatic choice to the
model and its saved metadata.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .._errors import ConfigError
from ..core import SequenceSet, as_sequence_set
from ._frames import SUMMARY_STATS, frame, frame_lengths, frame_summary, pool

__all__ = ["Restructure"]

KINDS = ("none", "frame", "pool", "maxpool", "summary", "conv", "msconv")
IN_MODEL = ("conv", "msconv")
SYNTAX = "none, frame:K, frame:K:HOP, pool:K, maxpool:K, summary:K, conv:K or msconv:K (K, HOP >= 1)"


def _bad(message: str, argument: str, received) -> ConfigError:
    return ConfigError(f"Restructure: {message}", argument=argument, received=received,
                       fix=f"use one of {SYNTAX}")


def _positive_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True)
class Restructure:
    """One restructuring of the time axis (immutable, hashable, comparable).

    Attributes:
        kind: ``"none"`` (one raw step per LSTM step), ``"frame"`` (``size`` raw steps
            become the features of one step, frames ``hop`` apart), ``"pool"`` /
            ``"maxpool"`` (mean / max over ``size`` steps), ``"summary"`` (mean, std, min,
            max and slope of frames of ``size`` steps), ``"conv"`` (a strided Conv1D
            front-end of stride ``size`` in the model) or ``"msconv"`` (the masked
            multi-scale Conv1D front-end of stride ``size``, see
            :class:`seqfeed.keras.MaskedMultiScaleConv1D`).
        size: ``K >= 1`` raw steps per new step; None for ``"none"``.
        hop: ``"frame"`` only: steps between frame starts (None = ``size``, no overlap).

    Text form (the CLI's ``--frame``): ``str(r)`` and :meth:`parse` round-trip.

    Raises:
        ConfigError: ``kind`` not one of the kinds, ``size`` not an integer >= 1 (or given for 'none'),
            ``hop`` for a kind other than 'frame'.

    Example:
        >>> r = Restructure.parse("frame:4:2")
        >>> r, str(r)
        (Restructure(kind='frame', size=4, hop=2), 'frame:4:2')
        >>> r.n_features(3), r.steps([9, 1, 0]).tolist()
        (12, [5, 1, 0])
    """

    kind: str = "none"
    size: int | None = None
    hop: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise _bad(f"`kind` must be one of {{{', '.join(repr(k) for k in KINDS)}}}. "
                       f"Received: kind={self.kind!r}.", "kind", self.kind)
        if self.kind == "none":
            if self.size is not None or self.hop is not None:
                raise _bad(f"kind 'none' takes no size or hop. Received: size={self.size!r}, hop={self.hop!r}.",
                           "size" if self.size is not None else "hop", self.size if self.size is not None
                           else self.hop)
            return
        if not _positive_int(self.size):
            raise _bad(f"`size` of kind {self.kind!r} must be an integer >= 1. Received: size={self.size!r}.",
                       "size", self.size)
        if self.hop is not None and (self.kind != "frame" or not _positive_int(self.hop)):
            raise _bad(f"`hop` applies to kind 'frame' only and must be an integer >= 1. Received: "
                       f"kind={self.kind!r}, hop={self.hop!r}.", "hop", self.hop)
        object.__setattr__(self, "size", int(self.size))
        if self.hop is not None:
            object.__setattr__(self, "hop", int(self.hop))

    # ------------------------------------------------------------------ text form
    @classmethod
    def parse(cls, text) -> "Restructure":
        """``"none"`` (also ``""`` or None), ``"frame:K"``, ``"frame:K:HOP"``, ``"pool:K"``,
        ``"maxpool:K"``, ``"summary:K"``, ``"conv:K"`` or ``"msconv:K"`` -> a Restructure.

        Raises:
            ConfigError: ``text`` is not one of these forms (``argument="text"``).
        """
        if text is None:
            return cls()
        if not isinstance(text, str):
            raise ConfigError(f"Restructure.parse: `text` must be a string such as 'frame:8'. Received "
                              f"{type(text).__name__}.", argument="text", received=text,
                              fix=f"use one of {SYNTAX}")
        if text in ("", "none"):
            return cls()
        kind, _, rest = text.partition(":")
        parts = rest.split(":") if rest else []
        if kind not in KINDS or kind == "none" or not parts or len(parts) > (2 if kind == "frame" else 1) \
                or not all(p.isascii() and p.isdigit() and int(p) >= 1 for p in parts):
            raise ConfigError(f"Restructure.parse: cannot read {text!r}.", argument="text", received=text,
                              fix=f"use one of {SYNTAX}")
        nums = [int(p) for p in parts]
        return cls(kind, nums[0], nums[1] if len(nums) == 2 else None)

    def __str__(self) -> str:
        if self.kind == "none":
            return "none"
        return f"{self.kind}:{self.size}" + (f":{self.hop}" if self.hop is not None else "")

    @classmethod
    def coerce(cls, value, *, argument: str = "restructure") -> "Restructure":
        """A Restructure from itself, its text form, None (``"none"``), or the dict form that
        models saved before this type existed (``{"kind": "frame", "size": 4, "hop": 2}``)."""
        if isinstance(value, cls):
            return value
        if value is None or isinstance(value, str):
            try:
                return cls.parse(value)
            except ConfigError as e:
                raise e.with_message(e.message, argument=argument, received=value) from None
        if isinstance(value, dict) and set(value) <= {"kind", "size", "hop"}:
            try:
                return cls(value.get("kind", "none"), value.get("size"), value.get("hop"))
            except ConfigError as e:
                raise e.with_message(e.message, argument=argument, received=value) from None
        raise ConfigError(f"`{argument}` must be a Restructure or its text form such as 'frame:8'. "
                          f"Received: {value!r}.", argument=argument, received=value,
                          fix=f"pass Restructure.parse(text) with one of {SYNTAX}")

    # ------------------------------------------------------------------ meaning
    @property
    def in_model(self) -> bool:
        """True for the front-ends built into the model (``conv``, ``msconv``): the data is unchanged."""
        return self.kind in IN_MODEL

    def describe(self) -> str:
        """One line for reports and model cards."""
        k, n = self.kind, self.size
        if k == "none":
            return "none (one raw step per LSTM step)"
        if k == "frame":
            return f"frames of {n} raw steps (hop {self.hop or n}) as features of one step"
        if k == "pool":
            return f"mean pooling by {n}"
        if k == "maxpool":
            return f"max pooling by {n}"
        if k == "summary":
            return f"mean/std/min/max/slope of frames of {n} steps"
        if k == "msconv":
            return f"masked multi-scale Conv1D front-end (stride {n}) in the model"
        return f"strided Conv1D front-end (stride {n}) in the model"

    def n_features(self, n_features: int) -> int:
        """Features per step the model sees, for ``n_features`` raw features."""
        if self.kind == "frame":
            return self.size * n_features
        if self.kind == "summary":
            return len(SUMMARY_STATS) * n_features
        return n_features

    def steps(self, lengths) -> np.ndarray:
        """int64 LSTM steps of sequences of these ``lengths`` (after the front-end's stride, too)."""
        if self.kind == "none":
            return np.asarray(lengths, dtype=np.int64)
        return frame_lengths(lengths, self.size, self.hop)

    def apply(self, data) -> SequenceSet:
        """The data as the model sees it (``none``, ``conv`` and ``msconv``: unchanged)."""
        if self.kind == "frame":
            return frame(data, self.size, hop=self.hop)
        if self.kind in ("pool", "maxpool"):
            return pool(data, self.size, how="mean" if self.kind == "pool" else "max")
        if self.kind == "summary":
            return frame_summary(data, self.size)
        return as_sequence_set(data, _op="Restructure.apply")
