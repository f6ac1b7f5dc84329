"""The saved state of a fitted `Standardizer`: validating a saved dict and merged moments.

``Standardizer.from_dict`` and ``Standardizer.from_moments`` read what was written
elsewhere (a JSON file, a shards manifest): every field is checked here before a
scaler is built from it.
"""

from __future__ import annotations

import numpy as np

from .._errors import ConfigError, ShapeError, check_int, shape_str

__all__ = ["FORMAT", "VERSION", "checked_state", "checked_moments"]

FORMAT = "seqfeed.Standardizer"
VERSION = 1


def checked_moments(count, mean, m2, feature_names):
    """``(mean, variance, names)`` from per-feature moments (``m2``: sum of squared deviations)."""
    op = "Standardizer.from_moments"
    arrays = []
    for name, a in (("count", count), ("mean", mean), ("m2", m2)):
        try:
            arrays.append(np.asarray(a, dtype=np.float64).reshape(-1))
        except (TypeError, ValueError):
            raise ConfigError(f"{op}: `{name}` must hold one number per feature. Received: {name}={a!r}.",
                              argument=name, received=a,
                              fix="pass lists or arrays of numbers, one per feature") from None
    c, mu, m = arrays
    if not (c.shape == mu.shape == m.shape) or c.size == 0:
        raise ShapeError(f"{op}: `count`, `mean` and `m2` must have one entry per feature. Received "
                         f"shapes {shape_str(c.shape)}, {shape_str(mu.shape)}, {shape_str(m.shape)}.",
                         argument="count" if c.size == 0 or c.shape != mu.shape else "m2",
                         received=(c.shape, mu.shape, m.shape),
                         fix="pass the three moments of the same features, at least one")
    bad = ~(np.isfinite(c) & np.isfinite(mu) & np.isfinite(m) & (c > 0) & (m >= 0))
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        name = "count" if not (np.isfinite(c[j]) and c[j] > 0) else "mean" if not np.isfinite(mu[j]) else "m2"
        raise ConfigError(f"{op}: the moments of feature {j} are not usable (count={c[j]:g}, mean={mu[j]:g}, "
                          f"m2={m[j]:g}); count must be > 0 and m2 >= 0, all finite.", argument=name,
                          index=j, received=(float(c[j]), float(mu[j]), float(m[j])),
                          fix="merge the moments of non-empty data parts with finite values")
    if feature_names is not None and len(feature_names) != c.size:
        raise ConfigError(f"{op}: `feature_names` has {len(feature_names)} names for {c.size} features.",
                          argument="feature_names", received=len(feature_names),
                          fix="pass one name per feature, or None")
    names = None if feature_names is None else tuple(str(n) for n in feature_names)
    return mu, m / c, names


def _finite_list(v):
    try:
        a = np.asarray(v, dtype=np.float64)
    except (ValueError, TypeError):
        return None
    return a if a.ndim == 1 and np.isfinite(a).all() else None


def checked_state(d) -> dict:
    """The fields of a :meth:`Standardizer.to_dict` dict, validated (method/transform/eps are
    checked by the constructor)."""
    op = "Standardizer.from_dict"
    resave = "pass a dict written by Standardizer.to_dict (or a file written by Standardizer.save)"
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        got = d.get("format") if isinstance(d, dict) else type(d).__name__
        raise ConfigError(f"{op}: not a saved Standardizer (expected format {FORMAT!r}). Received: "
                          f"format={got!r}.", argument="d", received=got, fix=resave)
    if d.get("version") != VERSION:
        raise ConfigError(f"{op}: unsupported version {d.get('version')!r} (this seqfeed reads {VERSION}).",
                          argument="d", received=d.get("version"),
                          fix="upgrade seqfeed to read files written by a newer version")
    F = d.get("n_features")
    if F is not None:
        F = check_int(op, "n_features", F, minimum=1)
    names = d.get("feature_names")
    mean, std = d.get("mean"), d.get("std")
    if mean is not None:
        mean, std = _finite_list(mean), (None if std is None else _finite_list(std))
        if mean is None or std is None or (std <= 0).any():
            raise ConfigError(f"{op}: `mean`/`std` must both be lists of finite numbers (std > 0).",
                              argument="d", received={"mean": d.get("mean"), "std": d.get("std")}, fix=resave)
    if (mean is None) != (std is None) or (mean is not None and (
            F is None or len(mean) != F or len(std) != F)):
        raise ConfigError(f"{op}: `mean`/`std` must both be lists of n_features={F!r} numbers.",
                          argument="d", received={"n_features": F, "mean": d.get("mean"), "std": d.get("std")},
                          fix=resave)
    if names is not None and (isinstance(names, (str, bytes)) or not hasattr(names, "__len__")):
        raise ConfigError(f"{op}: `feature_names` must be a list of names.", argument="d", received=names,
                          fix=resave)
    if names is not None and (F is None or len(names) != F):
        raise ConfigError(f"{op}: `feature_names` must have n_features={F!r} entries.",
                          argument="d", received=names, fix=resave)
    return {
        "method": d.get("method"), "transform": d.get("transform"), "eps": d.get("eps", 1e-8),
        "n_features": None if F is None else int(F),
        "feature_names": None if names is None else tuple(str(n) for n in names),
        "n_steps": d.get("n_steps"),
        "mean": None if mean is None else np.asarray(mean, dtype=np.float64),
        "std": None if std is None else np.asarray(std, dtype=np.float64),
    }
