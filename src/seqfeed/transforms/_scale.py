"""`Standardizer`: per-feature scaling fitted on the real steps of training data, saved as JSON.

The real steps of each input form are gathered by ``_real_steps.py``; ``method="per_sequence"``
(nothing fitted) is computed by ``_per_sequence.py``.
"""

from __future__ import annotations

import json
import numbers
import os

import numpy as np

from .._errors import ConfigError, ShapeError, check_choice, shape_str, warn
from .._checks import check_features, check_float
from .._fs import atomic_file
from ..core import check_numeric
from ._common import check_finite
from ._per_sequence import normalise_per_sequence, per_sequence_stats
from ._real_steps import RealSteps, blocks, check_out, check_stats
from ._scale_state import FORMAT, VERSION, checked_moments, checked_state

__all__ = ["Standardizer"]

METHODS = ("global", "per_sequence")
TRANSFORMS = ("signed_log1p",)


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """``sign(x) * log1p(|x|)``: compresses amplitudes spanning orders of magnitude, keeps the sign."""
    return np.sign(x) * np.log1p(np.abs(x))


def signed_expm1(y: np.ndarray) -> np.ndarray:
    """The inverse of :func:`signed_log1p`."""
    return np.sign(y) * np.expm1(np.abs(y))


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

    Raises:
        ConfigError: ``method``/``transform`` not one of their choices, or ``eps`` not a finite number >= 0.

    Example:
        >>> from seqfeed import SequenceSet
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
        eps = check_float(op, "eps", eps, low=0, fix="pass a small non-negative number such as eps=1e-8")
        self.method = method
        self.transform_name = transform
        self.eps = eps
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

        Raises:
            DataError: NaN/inf on a real step (naming sequence, step and feature), non-numeric values, or
                statistics that overflow.
            ConfigError: no real steps to fit on.
        """
        op = "Standardizer.fit"
        r = RealSteps(op, data)
        r.check(op)
        v = r.steps()
        if self.method == "global":
            if v.shape[0] == 0:
                raise ConfigError(f"{op}: there are no real steps to fit on. Received {r.n_features} "
                                  f"features and 0 steps.", argument="data", received=0,
                                  fix="fit on a non-empty training set")
            # block by block, merged with Chan et al.'s update: exact to rounding, bounded memory
            n, mean, m2 = 0, np.zeros(v.shape[1]), np.zeros(v.shape[1])
            for sl in blocks(v.shape[0], v.shape[1]):
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
            check_stats(op, mean, np.sqrt(m2 / n), r.feature_names)
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

    def _check_fitted(self, op: str, r: RealSteps | None = None):
        if self.method == "global" and self.mean_ is None:
            raise ConfigError(f"{op}: this Standardizer is not fitted yet.", argument="self",
                              received="an unfitted Standardizer",
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

        Raises:
            ConfigError: the Standardizer is not fitted (``method='global'``).
            ShapeError: ``data`` has another number of features than the fitted data.
            DataError: NaN/inf on a real step, or a value that overflows once standardised.
        """
        op = "Standardizer.transform"
        r = RealSteps(op, data)
        self._check_fitted(op, r)
        r.check(op)
        if self.method == "global":
            v = r.steps()
            z = self._standardise_into(op, v, np.empty(v.shape, dtype=r.out_dtype))
        else:
            z = normalise_per_sequence(r, self._forward(r.real()), self.eps).astype(r.out_dtype, copy=False)
            check_out(op, z, 0)
        return r.rebuild(z)

    def _transform_in_place(self, values: np.ndarray, *, offsets, feature_names=None) -> bool:
        """Standardise the ragged ``values`` ``(N_steps, F)`` of a set into themselves.

        Private, for arrays the caller allocated and owns (a streaming window), never for an
        array a user passed in: the same arithmetic, checks and errors as :meth:`transform` on
        ``SequenceSet(values, offsets)``, without a second array of the input's size. Returns
        False, with nothing done, where only :meth:`transform` applies (``method="per_sequence"``,
        not fitted, another number of features, a non-float or read-only array).
        """
        if self.method != "global" or self.mean_ is None or not isinstance(values, np.ndarray) \
                or values.ndim != 2 or values.dtype.kind != "f" or not values.flags.writeable \
                or values.shape[1] != self.n_features_:
            return False
        op = "Standardizer.transform"
        check_finite(op, "data", values, offsets=offsets, feature_names=feature_names)
        self._standardise_into(op, values, values)
        return True

    def _standardise_into(self, op: str, v: np.ndarray, z: np.ndarray) -> np.ndarray:
        """``z = (forward(v) - mean) / std`` in float64 blocks of ``v``'s steps, each block checked
        for overflow; ``z`` may be ``v`` itself (each block is read before it is written)."""
        for sl in blocks(v.shape[0], v.shape[1]):
            with np.errstate(over="ignore", invalid="ignore"):
                z[sl] = (self._forward(v[sl].astype(np.float64)) - self.mean_) / self.std_
            check_out(op, z[sl], sl.start)
        return z

    def fit_transform(self, data):
        """``fit(data)`` then ``transform(data)``."""
        return self.fit(data).transform(data)

    def sequence_stats(self, data):
        """Per-sequence ``(mean, std)``, float64 ``(n, F)`` each, in the ``transform`` space.

        The statistics ``method="per_sequence"`` divides by (constant features get
        std 1); pass slices of them to :meth:`inverse_transform_values` as ``stats``.
        """
        op = "Standardizer.sequence_stats"
        r = RealSteps(op, data)
        r.check(op)
        return per_sequence_stats(r, self._forward(r.real()), self.eps)

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
                          argument="stats", received=v.shape,
                          fix="pass mean and std that broadcast with `values` (e.g. with a trailing axis per feature)")

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
                                  argument="stats", received=stats,
                                  fix="pass stats=(mean, std) as two numeric arrays") from None
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
                             argument="values", received=v.shape,
                             fix="pass values whose last axis has one entry per listed feature")
        return v, mean[idx], std[idx]

    def _feature_index(self, op, feature):
        return check_features(op, "feature", feature, self.n_features_, self.feature_names_,
                              fix="pass a feature index or one of the fitted feature names")

        def one(f):
            if isinstance(f, str):
                if f not in names:
                    raise ConfigError(f"{op}: feature {f!r} is not one of the fitted features "
                                      f"{list(names) if names else '(no names were fitted)'}.",
                                      argument="feature", received=f,
                                      fix="pass a fitted feature name, or a feature index")
                return names.index(f)
            if isinstance(f, numbers.Integral) and not isinstance(f, bool) and -F <= f < F:
                return int(f) % F
            raise ConfigError(f"{op}: `feature` must be a feature index in 0..{F - 1} or a fitted feature "
                              f"name. Received: feature={f!r}.", argument="feature", received=f,
                              fix=f"pass a feature index in 0..{F - 1} or one of the fitted feature names")

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

        Raises:
            ConfigError: moments that are not numbers, ``count`` <= 0, ``m2`` < 0, or ``feature_names`` of
                another length.
            ShapeError: ``count``, ``mean`` and ``m2`` of different lengths.

        Example:
            >>> st = Standardizer.from_moments(count=[3], mean=[2.0], m2=[2.0])
            >>> st.mean_, st.std_.round(4)
            (array([2.]), array([0.8165]))
        """
        mu, var, names = checked_moments(count, mean, m2, feature_names)
        st = cls(eps=eps)
        st.mean_ = mu
        st.std_ = st._floor_global(np.sqrt(var), names)
        st.n_features_ = int(mu.size)
        st.feature_names_ = names
        st.n_steps_ = int(np.max(np.asarray(count, dtype=np.float64)))
        return st

    @classmethod
    def from_dict(cls, d: dict) -> "Standardizer":
        """Rebuild a Standardizer from :meth:`to_dict` output (validated).

        Raises:
            ConfigError: ``d`` is not a saved Standardizer of a readable version, or a field is invalid.
        """
        state = checked_state(d)
        st = cls(method=state["method"], transform=state["transform"], eps=state["eps"])
        st.n_features_ = state["n_features"]
        st.feature_names_ = state["feature_names"]
        st.n_steps_ = state["n_steps"]
        st.mean_, st.std_ = state["mean"], state["std"]
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
                                  argument="path", received=os.fspath(path),
                                  fix="pass a file written by Standardizer.save") from None
            except UnicodeDecodeError as e:
                raise ConfigError(f"Standardizer.load: the file is not UTF-8 text (byte offset {e.start}).",
                                  argument="path", fix="pass a file written by Standardizer.save") from None
        return cls.from_dict(d)

    def __repr__(self) -> str:
        fitted = f", fitted on {self.n_steps_} steps x {self.n_features_} features" \
            if self.n_steps_ is not None else ""
        return f"Standardizer(method={self.method!r}, transform={self.transform_name!r}, eps={self.eps:g}{fitted})"
