"""The real steps of any scaler input (set, series, Batch, (x, mask) pair), and putting them back.

Scaling works on real steps only, whatever form the input has: a
:class:`SequenceSet` or one series contributes all its steps, a padded
:class:`~seqfeed.Batch` or ``(x, mask)`` pair only its ``mask == True`` steps.
:class:`RealSteps` gathers them and rebuilds a new object of the input's form.
"""

from __future__ import annotations

import numpy as np

from .._errors import ConfigError, DataError
from ..core import Batch, SequenceSet, check_numeric, check_padded
from ._common import as_series_or_set, check_finite

__all__ = ["RealSteps", "blocks", "check_stats", "check_out"]


class RealSteps:
    """The real steps of an input, and how to put transformed steps back in its form."""

    def __init__(self, op: str, data):
        self.kind = None
        self.offsets = self.mask = None
        self.feature_names = None
        if isinstance(data, Batch):
            self._dense(op, data.x, data.mask, "batch")
            self.batch = data
        elif isinstance(data, tuple):
            if len(data) != 2:
                raise ConfigError(f"{op}: a tuple input must be (x, mask). Received a tuple of {len(data)}.",
                                  argument="data", received=len(data),
                                  fix="pass (x, mask), a Batch, a SequenceSet or one series array")
            self._dense(op, np.asarray(data[0]), np.asarray(data[1]), "pair")
        else:
            s, single = as_series_or_set(op, data)
            self.kind = "series" if single else "set"
            self.set = s
            self.original = data
            self.values = s.values
            self.offsets = s.offsets
            self.feature_names = s.feature_names
        check_numeric(op, "data", self.values if self.kind in ("set", "series") else self.x)

    def _dense(self, op, x, mask, kind):
        x, mask = check_padded(op, x, mask)
        self.kind, self.x, self.mask = kind, x, mask
        self.values = None

    @property
    def n_features(self) -> int:
        return int(self.values.shape[1] if self.kind in ("set", "series") else self.x.shape[2])

    @property
    def out_dtype(self) -> np.dtype:
        dt = self.values.dtype if self.kind in ("set", "series") else self.x.dtype
        return dt if dt.kind == "f" else np.dtype(np.float32)

    def check(self, op):
        if self.kind in ("set", "series"):
            check_finite(op, "data", self.values, offsets=self.offsets, feature_names=self.feature_names)
        else:
            check_finite(op, "x", self.x, mask=self.mask)

    def steps(self) -> np.ndarray:
        """The real steps ``(N_real, F)`` in their own dtype (a view for a set or a series)."""
        if self.kind in ("set", "series"):
            return self.values
        return self.x[self.mask]

    def real(self) -> np.ndarray:
        """float64 ``(N_real, F)``."""
        return self.steps().astype(np.float64)

    def rebuild(self, real_out: np.ndarray):
        """Put transformed real steps back into the input's form (a new object)."""
        out = real_out.astype(self.out_dtype, copy=False)
        if self.kind == "set":
            s = self.set
            return SequenceSet(out, s.offsets, targets=s.targets, step_targets=s.step_targets, ids=s.ids,
                               feature_names=s.feature_names)
        if self.kind == "series":
            return out.reshape(np.shape(self.original))
        x = self.x.astype(self.out_dtype, copy=True)
        x[self.mask] = out
        if self.kind == "pair":
            return x, self.mask
        b = self.batch
        return Batch(x=x, mask=b.mask, lengths=b.lengths, y=b.y, index=b.index, padding=b.padding,
                     sample_weight=b.sample_weight)

    def segments(self):
        """``(starts, lengths)`` of each sequence / row within :meth:`real` order."""
        if self.kind in ("set", "series"):
            return self.offsets[:-1], self.set.lengths
        lens = self.mask.sum(axis=1).astype(np.int64)
        starts = np.zeros(lens.shape[0], dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        return starts, lens


def blocks(n: int, F: int):
    """Row slices of about 8 MB of float64 each: bounded temporaries for long inputs."""
    step = max(1024, (1 << 20) // max(F, 1))
    for a in range(0, n, step):
        yield slice(a, min(a + step, n))


def check_stats(op: str, mean: np.ndarray, std: np.ndarray, names, per=None) -> None:
    """Statistics that overflowed float64 (values near 1e154 and above) are an error, not inf/NaN."""
    bad = ~(np.isfinite(mean) & np.isfinite(std))
    if not bad.any():
        return
    where = np.argwhere(bad)[0]
    f = int(where[-1])
    feat = repr(names[f]) if names else str(f)
    unit = f" of {per} {int(where[0])}" if per is not None and bad.ndim == 2 else ""
    raise DataError(f"{op}: the values of feature {feat}{unit} are too large to standardise: their "
                    f"mean or variance overflows float64.", argument="data", received=feat,
                    index=int(where[0]) if unit else None,
                    fix="rescale the feature first (e.g. divide by a power of 10), or pass "
                        "transform='signed_log1p'")


def check_out(op: str, z: np.ndarray, row0: int) -> None:
    """A standardised value that overflows the output dtype is an error, not inf."""
    if z.size and not np.isfinite(z).all():
        r, f = (int(a) for a in np.argwhere(~np.isfinite(z))[0])
        raise DataError(f"{op}: step {row0 + r} (counting real steps), feature {f} becomes "
                        f"{z[r, f]} once standardised: the value is far outside the fitted data and "
                        f"overflows {z.dtype}.", argument="data", index=row0 + r,
                        fix="check the data's units against the training data, or fit on data of "
                            "the same scale")
