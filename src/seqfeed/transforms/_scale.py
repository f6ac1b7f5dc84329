"""`Standardizer`: per-feature scaling fitted on real steps only, saved as JSON."""

from __future__ import annotations

import json
import math
import numbers
import os

import numpy as np

from .._errors import ConfigError, DataError, ShapeError, check_choice, check_int, shape_str, warn
from .._fs import atomic_file
from ..core import Batch, SequenceSet, check_numeric
from ._common import as_series_or_set, check_finite

__all__ = ["Standardizer"]

METHODS = ("global", "per_sequence")
TRANSFORMS = ("signed_log1p",)
FORMAT = "seqfeed.Standardizer"
VERSION = 1


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """``sign(x) * log1p(|x|)``: compresses amplitudes spanning orders of magnitude, keeps the sign."""
    return np.sign(x) * np.log1p(np.abs(x))


def signed_expm1(y: np.ndarray) -> np.ndarray:
    """The inverse of :func:`signed_log1p`."""
    return np.sign(y) * np.expm1(np.abs(y))


class _Real:
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
                                  argument="data", received=len(data))
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
        if x.ndim != 3:
            raise ShapeError(f"{op}: `x` of a padded input must be 3-D (batch, time_steps, features). "
                             f"Received shape {shape_str(x.shape)}.", argument="x", received=x.shape)
        if mask.shape != x.shape[:2] or mask.dtype != bool:
            raise ShapeError(f"{op}: `mask` must be bool with shape {shape_str(x.shape[:2])} (True on real "
                             f"steps). Received dtype {mask.dtype}, shape {shape_str(mask.shape)}.",
                             argument="mask", received=mask.shape)
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


def _blocks(n: int, F: int):
    """Row slices of about 8 MB of float64 each: bounded temporaries for long inputs."""
    step = max(1024, (1 << 20) // max(F, 1))
    for a in range(0, n, step):
        yield slice(a, min(a + step, n))


def _segment_stats(v: np.ndarray, starts: np.ndarray, lens: np.ndarray):
    """Per-segment mean and (population) std of ``v`` ``(N, F)``, vectorised; 0/0 for empty."""
    n, F = lens.shape[0], v.shape[1]
    sums = np.zeros((n, F))
    ss = np.zeros((n, F))
    full = lens > 0
    if v.shape[0]:
        # reduceat over the non-empty segments only: empty ones hold no rows in between
        sums[full] = np.add.reduceat(v, starts[full], axis=0)
    mean = sums / np.maximum(lens, 1)[:, None]
    if v.shape[0]:
        dev = v - np.repeat(mean, lens, axis=0)
        ss[full] = np.add.reduceat(dev * dev, starts[full], axis=0)
    return mean, np.sqrt(ss / np.maximum(lens, 1)[:, None])


def _check_stats(op: str, mean: np.ndarray, std: np.ndarray, names, per=None) -> None:
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


def _check_out(op: str, z: np.ndarray, row0: int) -> None:
    """A standardised value that overflows the output dtype is an error, not inf."""
    if z.size and not np.isfinite(z).all():
        r, f = (int(a) for a in np.argwhere(~np.isfinite(z))[0])
        raise DataError(f"{op}: step {row0 + r} (counting real steps), feature {f} becomes "
                        f"{z[r, f]} once standardised: the value is far outside the fitted data and "
                        f"overflows {z.dtype}.", argument="data", index=row0 + r,
                        fix="check the data's units against the training data, or fit on data of "
                            "the same scale")


class Standardizer:
    """Per-feature standardisation ``(f(x) - mean) / std`` fitted on real steps only.

    Args:
        method: ``"global"`` (default): one mean/std per feature, fitted on the TRAINING
            data with :meth:`fit` and reused for validation, test and new data.
            ``"per_sequence"``: every sequence is z-normalised by its own mean/std at
            :meth:`transform` time; nothing is fitted. It erases amplitude differences
            between sequences, which often carry the class: prefer ``"global"`` unless
            only the shape of a sequence matters.
        transform: None or ``"signed_log1p"``: apply ``sign(x) * log1p(|x|)`` before
            standardising, for signals whose amplitudes span orders of magnitude (a
            heavy tail otherwise dominates the mean/std and squashes small values).
        eps: a feature (or, per sequence, a sequence's feature) whose std is ``<= eps`` is
            constant: its std is set to 1 (values become ``x - mean``) with a warning.

    Only real steps count: all steps of a :class:`SequenceSet` or of one series array
    (``(T,)``/``(T, F)``, axis 0 is time), and only ``mask == True`` steps of a
    :class:`~seqfeed.Batch` or an ``(x, mask)`` pair (``x`` ``(B, T, F)``), so padding
    never shifts the statistics. Statistics are float64 population statistics
    (``ddof=0``). NaN/inf on a real step raises :class:`DataError` naming the sequence
    (or row), the step and the feature.

    Attributes (after :meth:`fit` with ``method="global"``):
        mean_, std_: float64 ``(F,)``, in the ``transform`` space; constant features
            have ``std_ == 1``.
        n_features_, feature_names_, n_steps_: what was fitted on.

    Example:
        >>> s = SequenceSet.from_sequences([[1.0, 2.0], [3.0]])
        >>> st = Standardizer().fit(s)
        >>> st.mean_, st.std_.round(4)
        (array([2.]), array([0.8165]))
        >>> st.transform(s).values[:, 0].round(4)
        array([-1.2247,  0.    ,  1.2247])
    """

    def __init__(self, *, method: str = "global", transform: str | None = None, eps: float = 1e-8):
        op = "Standardizer"
        check_choice(op, "method", method, METHODS)
        if transform is not None:
            check_choice(op, "transform", transform, TRANSFORMS)
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not (
                math.isfinite(float(eps)) and float(eps) >= 0):
            raise ConfigError(f"{op}: `eps` must be a finite number >= 0. Received: eps={eps!r}.",
                              argument="eps", received=eps)
        self.method = method
        self.transform_name = transform
        self.eps = float(eps)
        self.mean_ = None
        self.std_ = None
        self.n_features_ = None
        self.feature_names_ = None
        self.n_steps_ = None

    # ------------------------------------------------------------------ fitting
    def _forward(self, v: np.ndarray) -> np.ndarray:
        return signed_log1p(v) if self.transform_name == "signed_log1p" else v

    def _backward(self, v: np.ndarray) -> np.ndarray:
        return signed_expm1(v) if self.transform_name == "signed_log1p" else v

    def fit(self, data) -> "Standardizer":
        """Compute the per-feature mean/std of the real steps of ``data``; returns ``self``.

        ``data``: a :class:`SequenceSet`, one series array, a :class:`~seqfeed.Batch` or
        an ``(x, mask)`` pair. With ``method="per_sequence"`` only the number of
        features (and their names) is recorded.
        """
        op = "Standardizer.fit"
        r = _Real(op, data)
        r.check(op)
        v = r.steps()
        if self.method == "global":
            if v.shape[0] == 0:
                raise ConfigError(f"{op}: there are no real steps to fit on. Received {r.n_features} "
                                  f"features and 0 steps.", argument="data", received=0,
                                  fix="fit on a non-empty training set")
            # block by block, merged with Chan et al.'s update: exact to rounding, bounded memory
            n, mean, m2 = 0, np.zeros(v.shape[1]), np.zeros(v.shape[1])
            for sl in _blocks(v.shape[0], v.shape[1]):
                b = self._forward(v[sl].astype(np.float64))
                nb = b.shape[0]
                mb = b.mean(axis=0)
                d = b - mb
                m2b = np.einsum("ij,ij->j", d, d)
                if n == 0:
                    mean, m2, n = mb, m2b, nb
                    continue
                delta = mb - mean
                tot = n + nb
                mean = mean + delta * (nb / tot)
                m2 = m2 + m2b + delta * delta * (n * nb / tot)
                n = tot
            _check_stats(op, mean, np.sqrt(m2 / n), r.feature_names)
            self.mean_ = mean
            self.std_ = self._floor_global(np.sqrt(m2 / n), r.feature_names)
        self.n_features_ = r.n_features
        self.feature_names_ = r.feature_names
        self.n_steps_ = int(v.shape[0])
        return self

    def _floor_global(self, std: np.ndarray, names) -> np.ndarray:
        const = std <= self.eps
        if const.any():
            which = [repr(names[f]) if names else str(f) for f in np.flatnonzero(const).tolist()]
            warn(f"Standardizer.fit: feature(s) {', '.join(which)} are constant (std <= eps={self.eps:g}) "
                 f"in the fitted data; their std is set to 1, so they are only centred. Drop them if "
                 f"they carry no information.", stacklevel=4)
            std = np.where(const, 1.0, std)
        return std

    def _check_fitted(self, op: str, r: _Real | None = None):
        if self.method == "global" and self.mean_ is None:
            raise ConfigError(f"{op}: this Standardizer is not fitted yet.", argument="self",
                              fix="call .fit(train) first (or .fit_transform(train))")
        if r is not None and self.n_features_ is not None and r.n_features != self.n_features_:
            raise ShapeError(f"{op}: the data has {r.n_features} features; the Standardizer was fitted on "
                             f"{self.n_features_}.", argument="data", received=r.n_features,
                             fix="transform data with the same features (columns) as the training data")

    # ------------------------------------------------------------------ transforming
    def transform(self, data):
        """Standardise ``data``; returns a new object of the same kind, the input is untouched.

        A :class:`SequenceSet` gives a new set (same offsets, targets, ids, names);
        a series array an array of its shape; a :class:`~seqfeed.Batch` a new batch
        (and an ``(x, mask)`` pair a new pair) whose padded positions keep their
        values. Float inputs keep their dtype; int/bool become float32.
        """
        op = "Standardizer.transform"
        r = _Real(op, data)
        self._check_fitted(op, r)
        r.check(op)
        if self.method == "global":
            v = r.steps()
            z = np.empty(v.shape, dtype=r.out_dtype)
            for sl in _blocks(v.shape[0], v.shape[1]):
                with np.errstate(over="ignore", invalid="ignore"):
                    z[sl] = (self._forward(v[sl].astype(np.float64)) - self.mean_) / self.std_
                _check_out(op, z[sl], sl.start)
        else:
            v = self._forward(r.real())
            mean, std = self._per_sequence(r, v)
            lens = r.segments()[1]
            with np.errstate(over="ignore", invalid="ignore"):
                z = ((v - np.repeat(mean, lens, axis=0)) / np.repeat(std, lens, axis=0)).astype(
                    r.out_dtype, copy=False)
            _check_out(op, z, 0)
        return r.rebuild(z)

    def fit_transform(self, data):
        """``fit(data)`` then ``transform(data)``."""
        return self.fit(data).transform(data)

    def _per_sequence(self, r: _Real, v: np.ndarray):
        starts, lens = r.segments()
        mean, std = _segment_stats(v, starts, lens)
        _check_stats("Standardizer", mean, std, r.feature_names, per="sequence" if r.kind in
                     ("set", "series") else "row")
        const = (std <= self.eps) & (lens > 0)[:, None]
        if const.any():
            i, f = (int(a) for a in np.argwhere(const)[0])
            names = r.feature_names
            feat = repr(names[f]) if names else str(f)
            unit = "sequence" if r.kind in ("set", "series") else "row"
            warn(f"Standardizer: {int(const.sum())} (sequence, feature) pair(s) are constant within their "
                 f"sequence (first: {unit} {i}, feature {feat}); their std is set to 1, so they are only "
                 f"centred.", stacklevel=4)
        std = np.where(const | (lens == 0)[:, None], 1.0, std)
        return mean, std

    def sequence_stats(self, data):
        """Per-sequence ``(mean, std)``, float64 ``(n, F)`` each, in the ``transform`` space.

        The statistics ``method="per_sequence"`` divides by (constant features get
        std 1); pass slices of them to :meth:`inverse_transform_values` as ``stats``.
        """
        op = "Standardizer.sequence_stats"
        r = _Real(op, data)
        r.check(op)
        return self._per_sequence(r, self._forward(r.real()))

    def transform_values(self, values, *, feature=None, stats=None) -> np.ndarray:
        """Standardise plain values (e.g. forecast targets ``y``) with the fitted statistics.

        The counterpart of :meth:`inverse_transform_values`, with the same arguments:
        ``(f(values) - mean) / std``. No NaN check (the values are not located in a set).
        """
        op = "Standardizer.transform_values"
        v, mean, std = self._value_stats(op, values, feature, stats)
        try:
            out = (self._forward(v.astype(np.float64)) - mean) / std
        except ValueError:
            raise self._broadcast_error(op, v, mean, std) from None
        return out.astype(v.dtype, copy=False) if v.dtype.kind == "f" else out

    def inverse_transform_values(self, values, *, feature=None, stats=None) -> np.ndarray:
        """Map standardised values (e.g. forecasts) back to the original units.

        Args:
            values: array in the standardised space. With ``feature=None`` its last axis
                holds all ``F`` features; with one feature (index or name) any shape; with
                a list of features its last axis has one entry per listed feature.
            feature: which fitted feature(s) ``values`` hold (``method="global"``).
            stats: ``(mean, std)`` to use instead of the fitted statistics, broadcastable
                with ``values`` (for ``method="per_sequence"``: slices of
                :meth:`sequence_stats`, e.g. ``(m[w.source, None, [0]], s[w.source, None, [0]])``
                for forecasts ``(n, H, 1)`` of feature 0). Not combined with ``feature``.

        Returns:
            ``f⁻¹(values * std + mean)``: float input keeps its dtype, other input gives float64.

        Example:
            >>> st = Standardizer().fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
            >>> st.inverse_transform_values(np.array([[1.0], [-1.0]]), feature=[1])
            array([[30.],
                   [10.]])
        """
        op = "Standardizer.inverse_transform_values"
        v, mean, std = self._value_stats(op, values, feature, stats)
        try:
            out = self._backward(v.astype(np.float64) * std + mean)
        except ValueError:
            raise self._broadcast_error(op, v, mean, std) from None
        return out.astype(v.dtype, copy=False) if v.dtype.kind == "f" else out

    @staticmethod
    def _broadcast_error(op, v, mean, std):
        return ShapeError(f"{op}: `stats` of shapes {shape_str(np.shape(mean))}/{shape_str(np.shape(std))} "
                          f"do not broadcast with `values` of shape {shape_str(v.shape)}.",
                          argument="stats", received=v.shape)

    def _value_stats(self, op, values, feature, stats):
        """Checked ``(values, mean, std)`` for the ``*_values`` methods."""
        if stats is not None and feature is not None:
            raise ConfigError(f"{op}: pass `feature` or `stats`, not both.", argument="stats",
                              fix="select the features in the statistics you pass")
        v = np.asarray(values)
        check_numeric(op, "values", v)
        if stats is not None:
            try:
                mean, std = (np.asarray(a, dtype=np.float64) for a in stats)
            except (TypeError, ValueError):
                raise ConfigError(f"{op}: `stats` must be a pair (mean, std) of arrays.",
                                  argument="stats") from None
            return v, mean, std
        if self.method == "per_sequence":
            raise ConfigError(f"{op}: method='per_sequence' keeps no statistics.", argument="stats",
                              fix="pass stats=(mean, std) taken from .sequence_stats(original_data)")
        self._check_fitted(op)
        mean, std = self.mean_, self.std_
        if feature is None:
            if v.ndim == 0 or v.shape[-1] != self.n_features_:
                raise ShapeError(
                    f"{op}: `values` must have {self.n_features_} features on its last axis. Received "
                    f"shape {shape_str(v.shape)}.", argument="values", received=v.shape,
                    fix="pass feature=... to say which feature(s) the values hold")
            return v, mean, std
        idx = self._feature_index(op, feature)
        if np.ndim(idx) == 1 and (v.ndim == 0 or v.shape[-1] != len(idx)):
            raise ShapeError(f"{op}: `values` must have {len(idx)} entries on its last axis, one per "
                             f"listed feature. Received shape {shape_str(v.shape)}.",
                             argument="values", received=v.shape)
        return v, mean[idx], std[idx]

    def _feature_index(self, op, feature):
        F = self.n_features_
        names = self.feature_names_ or ()

        def one(f):
            if isinstance(f, str):
                if f not in names:
                    raise ConfigError(f"{op}: feature {f!r} is not one of the fitted features "
                                      f"{list(names) if names else '(no names were fitted)'}.",
                                      argument="feature", received=f)
                return names.index(f)
            if isinstance(f, numbers.Integral) and not isinstance(f, bool) and -F <= f < F:
                return int(f) % F
            raise ConfigError(f"{op}: `feature` must be a feature index in 0..{F - 1} or a fitted feature "
                              f"name. Received: feature={f!r}.", argument="feature", received=f)

        if isinstance(feature, (str, numbers.Integral)):
            return one(feature)
        return np.asarray([one(f) for f in feature], dtype=np.int64)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        """A JSON-ready dict of the options and the fitted statistics."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "method": self.method,
            "transform": self.transform_name,
            "eps": self.eps,
            "n_features": self.n_features_,
            "feature_names": None if self.feature_names_ is None else list(self.feature_names_),
            "n_steps": self.n_steps_,
            "mean": None if self.mean_ is None else [float(m) for m in self.mean_],
            "std": None if self.std_ is None else [float(s) for s in self.std_],
        }

    @classmethod
    def from_moments(cls, *, count, mean, m2, feature_names=None, eps: float = 1e-8) -> "Standardizer":
        """A fitted global Standardizer from per-feature moments (e.g. a shards manifest's).

        ``count`` (steps), ``mean`` and ``m2`` (sum of squared deviations from the mean) per
        feature, as merged over data parts with Chan et al.'s update: the same ``mean_`` and
        ``std_ = sqrt(m2 / count)`` as :meth:`fit` on all those steps, to rounding.

        Example:
            >>> st = Standardizer.from_moments(count=[3], mean=[2.0], m2=[2.0])
            >>> st.mean_, st.std_.round(4)
            (array([2.]), array([0.8165]))
        """
        op = "Standardizer.from_moments"
        try:
            c, mu, m = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (count, mean, m2))
        except (TypeError, ValueError):
            raise ConfigError(f"{op}: `count`, `mean` and `m2` must be numbers per feature.",
                              argument="mean") from None
        if not (c.shape == mu.shape == m.shape) or c.size == 0:
            raise ShapeError(f"{op}: `count`, `mean` and `m2` must have one entry per feature. Received "
                             f"shapes {shape_str(c.shape)}, {shape_str(mu.shape)}, {shape_str(m.shape)}.",
                             argument="mean", received=(c.shape, mu.shape, m.shape))
        bad = ~(np.isfinite(c) & np.isfinite(mu) & np.isfinite(m) & (c > 0) & (m >= 0))
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ConfigError(f"{op}: the moments of feature {j} are not usable (count={c[j]:g}, mean={mu[j]:g}, "
                              f"m2={m[j]:g}); count must be > 0 and m2 >= 0, all finite.", argument="moments",
                              index=j, received=(c[j], mu[j], m[j]))
        if feature_names is not None and len(feature_names) != c.size:
            raise ConfigError(f"{op}: `feature_names` has {len(feature_names)} names for {c.size} features.",
                              argument="feature_names", received=len(feature_names))
        st = cls(eps=eps)
        st.mean_ = mu
        names = None if feature_names is None else tuple(str(n) for n in feature_names)
        st.std_ = st._floor_global(np.sqrt(m / c), names)
        st.n_features_ = int(c.size)
        st.feature_names_ = names
        st.n_steps_ = int(c.max())
        return st

    @classmethod
    def from_dict(cls, d: dict) -> "Standardizer":
        """Rebuild a Standardizer from :meth:`to_dict` output (validated)."""
        op = "Standardizer.from_dict"
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ConfigError(f"{op}: not a saved Standardizer (expected format {FORMAT!r}). Received: "
                              f"format={d.get('format') if isinstance(d, dict) else type(d).__name__!r}.",
                              argument="d")
        if d.get("version") != VERSION:
            raise ConfigError(f"{op}: unsupported version {d.get('version')!r} (this seqfeed reads {VERSION}).",
                              argument="version", received=d.get("version"),
                              fix="upgrade seqfeed to read files written by a newer version")
        st = cls(method=d.get("method"), transform=d.get("transform"), eps=d.get("eps", 1e-8))
        F = d.get("n_features")
        if F is not None:
            F = check_int(op, "n_features", F, minimum=1)
        names = d.get("feature_names")
        mean, std = d.get("mean"), d.get("std")

        def numbers_of(v):
            try:
                a = np.asarray(v, dtype=np.float64)
            except (ValueError, TypeError):
                return None
            return a if a.ndim == 1 and np.isfinite(a).all() else None

        if mean is not None:
            mean, std = numbers_of(mean), (None if std is None else numbers_of(std))
            if mean is None or std is None or (std <= 0).any():
                raise ConfigError(f"{op}: `mean`/`std` must both be lists of finite numbers (std > 0).",
                                  argument="mean")
        if (mean is None) != (std is None) or (mean is not None and (
                F is None or len(mean) != F or len(std) != F)):
            raise ConfigError(f"{op}: `mean`/`std` must both be lists of n_features={F!r} numbers.",
                              argument="mean")
        if names is not None and (isinstance(names, (str, bytes)) or not hasattr(names, "__len__")):
            raise ConfigError(f"{op}: `feature_names` must be a list of names.", argument="feature_names")
        if names is not None and (F is None or len(names) != F):
            raise ConfigError(f"{op}: `feature_names` must have n_features={F!r} entries.",
                              argument="feature_names")
        st.n_features_ = None if F is None else int(F)
        st.feature_names_ = None if names is None else tuple(str(n) for n in names)
        st.n_steps_ = d.get("n_steps")
        if mean is not None:
            st.mean_ = np.asarray(mean, dtype=np.float64)
            st.std_ = np.asarray(std, dtype=np.float64)
        return st

    def save(self, path) -> None:
        """Write :meth:`to_dict` as JSON, atomically (a temporary file renamed over ``path``)."""
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"
        with atomic_file(path, fsync=True) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    @classmethod
    def load(cls, path) -> "Standardizer":
        """Read a Standardizer written by :meth:`save`."""
        with open(os.fspath(path), encoding="utf-8") as fh:
            try:
                d = json.load(fh)
            except json.JSONDecodeError as e:
                raise ConfigError(f"Standardizer.load: the file is not valid JSON ({e.msg} at line {e.lineno}).",
                                  argument="path") from None
            except UnicodeDecodeError as e:
                raise ConfigError(f"Standardizer.load: the file is not UTF-8 text (byte offset {e.start}).",
                                  argument="path", fix="pass a file written by Standardizer.save") from None
        return cls.from_dict(d)

    def __repr__(self) -> str:
        fitted = f", fitted on {self.n_steps_} steps x {self.n_features_} features" \
            if self.n_steps_ is not None else ""
        return f"Standardizer(method={self.method!r}, transform={self.transform_name!r}, eps={self.eps:g}{fitted})"
