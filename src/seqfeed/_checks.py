"""Validators for the arguments of public functions: one per kind of argument.

Every public entry point checks its options with these before touching data, so a
kind of argument (an integer option, a number in an interval, a choice, an index
array) is worded and reported the same way everywhere: a :class:`ConfigError`
(or :class:`IndexRangeError`) carrying ``argument``, ``received``, ``index`` and
``fix``. This module sits at the bottom of the package (it imports only
``_errors``), so every layer may use it.

* :func:`check_choice`, :func:`check_int`, :func:`check_float_dtype` -- an option
  from a set, an integer option, a float dtype.
* :func:`check_float` -- a real number inside an interval.
* :func:`check_indices` -- positions into ``n`` items (ints, optionally negative,
  or a boolean mask).
* :func:`check_features` -- features given by position or by name -> positions.
* :func:`round_up` -- ``n`` rounded up to a multiple (padded lengths).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._errors import ConfigError, IndexRangeError, ShapeError, check_choice, check_float_dtype, check_int, shape_str

__all__ = ["check_choice", "check_features", "check_float", "check_float_dtype", "check_indices", "check_int",
           "round_up"]


def _interval(name: str, low, high, low_open: bool, high_open: bool) -> str:
    lo = None if low is None else f"{low:g} {'<' if low_open else '<='} "
    hi = None if high is None else f" {'<' if high_open else '<='} {high:g}"
    if lo is not None and hi is not None:
        return f"with {lo}{name}{hi}"
    if lo is not None:
        return f"with {name} {'>' if low_open else '>='} {low:g}"
    if hi is not None:
        return f"with {name}{hi}"
    return "(finite)"


def check_float(op: str, name: str, value, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False, allow_none: bool = False,
                fix: str | None = None) -> float | None:
    """``float(value)`` if it is a finite real number in the interval, else a :class:`ConfigError`.

    ``low``/``high`` bound the interval (None: unbounded on that side); ``low_open``
    / ``high_open`` exclude the bound itself. Bools, strings, NaN and infinities are
    rejected; None is accepted (and returned) only with ``allow_none``.

    >>> check_float("f", "rate", 0.5, low=0, high=1, low_open=True)
    0.5
    >>> check_float("f", "rate", 0, low=0, high=1, low_open=True)
    Traceback (most recent call last):
      ...
    seqfeed._errors.ConfigError: f: `rate` must be a number with 0 < rate <= 1. Received: rate=0.
    """
    if value is None and allow_none:
        return None
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    v = float(value) if ok else math.nan
    if ok and math.isfinite(v):
        ok = ((low is None or (v > low if low_open else v >= low))
              and (high is None or (v < high if high_open else v <= high)))
    else:
        ok = False
    if not ok:
        raise ConfigError(f"{op}: `{name}` must be a number {_interval(name, low, high, low_open, high_open)}"
                          f"{' or None' if allow_none else ''}. Received: {name}={value!r}.",
                          argument=name, received=value, fix=fix)
    return v


def check_indices(op: str, indices, n: int, *, name: str = "indices", what: str = "sequences",
                  negative: bool = True, mask: bool = True, fix: str | None = None) -> np.ndarray:
    """Positions into ``n`` items as a 1-D int64 array in ``0..n-1``, or an error naming the bad one.

    ``indices`` is a 1-D array of ints (negative ones count from the end when
    ``negative``) or, when ``mask``, a boolean array of shape ``(n,)``. An int that
    is out of range raises :class:`IndexRangeError` (also an ``IndexError``) with
    ``index`` the position of the first bad entry; anything else that is not such
    an array raises :class:`ConfigError` (or :class:`ShapeError` for a mask of the
    wrong shape). The input is never modified.

    >>> check_indices("take", [2, -1], 4).tolist()
    [2, 3]
    >>> check_indices("take", [True, False, True], 3).tolist()
    [0, 2]
    """
    idx = np.asarray(indices)
    if idx.dtype == bool and mask:
        if idx.shape != (n,):
            raise ShapeError(f"{op}: a boolean mask must have shape ({n},). Received shape {shape_str(idx.shape)}.",
                             argument=name, received=tuple(idx.shape), fix=f"pass one bool per {what[:-1]}")
        return np.flatnonzero(idx).astype(np.int64)
    if idx.ndim == 1 and idx.size == 0:
        return np.zeros(0, dtype=np.int64)
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        kinds = "a 1-D array of ints" + (" or a bool mask" if mask else "")
        raise ConfigError(f"{op}: `{name}` must be {kinds}. Received dtype {idx.dtype}, shape "
                          f"{shape_str(idx.shape)}.", argument=name, received=tuple(idx.shape),
                          fix=fix or f"pass {kinds} of positions 0..{n - 1}")
    lo = -n if negative else 0
    bad = np.flatnonzero((idx < lo) | (idx >= n))
    if bad.size:
        k = int(bad[0])
        span = f"{lo}..{n - 1}"
        raise IndexRangeError(f"{op}: {name}[{k}]={int(idx[k])} is out of range for {n} {what}.",
                              argument=name, received=int(idx[k]), index=k,
                              fix=fix or f"use positions in {span}")
    idx = idx.astype(np.int64, copy=False)
    if negative and idx.size and idx.min() < 0:
        idx = np.where(idx < 0, idx + n, idx)
    return idx


def check_features(op: str, name: str, features, n_features: int, feature_names=None, *,
                   fix: str | None = None):
    """Features given by position or by name -> their positions in ``0..n_features-1``.

    ``features`` is one feature (an int, negative ones counting from the end, or a
    name from ``feature_names``) -- giving an ``int`` -- or a list of them, giving an
    int64 array. An unknown name, an out-of-range position, a bool or anything else,
    and an empty list raise :class:`ConfigError` with ``argument=name`` and the
    offending entry as ``received``.

    >>> check_features("f", "target_features", ["b", -1], 3, ["a", "b", "c"]).tolist()
    [1, 2]
    >>> check_features("f", "feature", "a", 3, ["a", "b", "c"])
    0
    """
    names = list(feature_names) if feature_names is not None else []
    F = int(n_features)

    def one(f):
        if isinstance(f, str):
            if f not in names:
                raise ConfigError(f"{op}: `{name}` names {f!r}, which is not a feature. Feature names: "
                                  f"{names if names else None}.", argument=name, received=f,
                                  fix=fix or ("pass one of the feature names" if names else
                                              "pass feature positions, or give the data feature names"))
            return names.index(f)
        if isinstance(f, numbers.Integral) and not isinstance(f, bool) and -F <= f < F:
            return int(f) % F
        raise ConfigError(f"{op}: `{name}` entry {f!r} is not a feature index in 0..{F - 1} or a feature "
                          f"name.", argument=name, received=f, fix=fix or f"pass positions 0..{F - 1} or names")

    if isinstance(features, (str, numbers.Integral)) and not isinstance(features, bool):
        return one(features)
    try:
        items = list(features)
    except TypeError:
        raise ConfigError(f"{op}: `{name}` must be a feature (index or name) or a list of them. Received "
                          f"{type(features).__name__}.", argument=name, received=features,
                          fix=fix or "pass e.g. 0, a feature name, or a list of them") from None
    if not items:
        raise ConfigError(f"{op}: `{name}` is empty.", argument=name, received=items,
                          fix=fix or "pass at least one feature")
    return np.asarray([one(f) for f in items], dtype=np.int64)


def round_up(n, multiple):
    """``n`` rounded up to a multiple of ``multiple`` (unchanged when ``multiple`` is None or 0).

    Works on ints and on integer NumPy arrays alike.

    >>> round_up(13, 8), round_up(16, 8), round_up(13, None)
    (16, 16, 13)
    """
    if not multiple:
        return n
    return -(-n // multiple) * multiple
