"""`write_npz` / `read_npz`: a `SequenceSet` in one NumPy ``.npz`` file (no pickle)."""

from __future__ import annotations

import os

import numpy as np

from .._errors import ConfigError, DataError
from .._fs import atomic_file
from ..core import SequenceSet

__all__ = ["read_npz", "write_npz"]

FORMAT_KEY = "seqfeed_npz_version"
_OPTIONAL = ("targets", "step_targets", "ids", "feature_names")


def _plain(name: str, a: np.ndarray) -> np.ndarray:
    """An array that loads without pickle: object arrays of str become str arrays."""
    a = np.asarray(a)
    if a.dtype != object:
        return a
    if all(isinstance(v, str) for v in a.ravel().tolist()):
        return a.astype(str)
    raise DataError(f"write_npz: `{name}` is an object array (dtype object) that is not all str; "
                    f".npz files are written without pickle.", argument=name, received=str(a.dtype),
                    fix=f"convert `{name}` to numbers or strings first")


def write_npz(data, path, *, compress: bool = False) -> None:
    """Write a ``SequenceSet`` to ``path`` as an ``.npz`` archive, atomically.

    Stores ``values``, ``offsets`` and, when present, ``targets``, ``step_targets``,
    ``ids`` and ``feature_names``, with their dtypes; :func:`read_npz` gives the same
    set back. ``path`` is used as given (no suffix is added). The file appears only
    once complete. ``compress=True`` uses ``np.savez_compressed``.
    """
    if not isinstance(data, SequenceSet):
        raise ConfigError(f"write_npz: `data` must be a SequenceSet. Received type "
                          f"{type(data).__name__}.", argument="data",
                          received=type(data).__name__,
                          fix="build one first, e.g. seqfeed.as_sequence_set(data)")
    arrays = {FORMAT_KEY: np.array(1), "values": np.asarray(data.values),
              "offsets": np.asarray(data.offsets)}
    for key in _OPTIONAL:
        v = getattr(data, key)
        if v is not None:
            arrays[key] = _plain(key, np.asarray(v, dtype=str) if key == "feature_names" else v)
    save = np.savez_compressed if compress else np.savez
    with atomic_file(path) as tmp:
        with open(tmp, "wb") as f:
            save(f, **arrays)


def read_npz(source) -> SequenceSet:
    """Read a ``SequenceSet`` written by :func:`write_npz` (loaded without pickle)."""
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigError(f"read_npz: `source` must be a file path. Received type {type(source).__name__}.",
                          argument="source", received=type(source).__name__)
    name = os.path.basename(os.fspath(source))

    def damaged(e):
        return DataError(f"read_npz: {name} is not a readable .npz archive ({type(e).__name__}: {e}).",
                         argument="source", received=name,
                         fix="write the file with seqfeed's write_npz (or numpy.savez); it may be "
                             "truncated or damaged")

    try:
        z = np.load(source, allow_pickle=False)  # never unpickle: a file must not run code
    except (FileNotFoundError, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001 - a damaged archive can fail in many ways inside zipfile
        raise damaged(e) from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise DataError(f"read_npz: {name} holds a single array (a .npy file, shape "
                        f"{tuple(np.shape(z))}), not an .npz archive of values and offsets.",
                        argument="source", received=name,
                        fix="write the set with seqfeed's write_npz, or build it with "
                            "SequenceSet(values, offsets)")
    with z:
        keys = set(z.files)
        missing = [k for k in ("values", "offsets") if k not in keys]
        if missing:
            raise DataError(f"read_npz: {name} has no {missing} array(s); it holds {sorted(keys)}.",
                            argument="source", received=sorted(keys),
                            fix="write the file with seqfeed's write_npz, or build the set with "
                                "SequenceSet(values, offsets)")
        parts = {}
        for k in ("values", "offsets") + _OPTIONAL:
            if k not in keys:
                continue
            try:
                parts[k] = z[k]
            except ValueError as e:
                if "allow_pickle" in str(e):
                    raise DataError(f"read_npz: {name} stores `{k}` as pickled Python objects, which "
                                    f"are never loaded (unpickling can run code).", argument=k,
                                    received=name, fix=f"store `{k}` as numbers or strings") from None
                raise damaged(e) from None
            except MemoryError:
                info = z.zip.getinfo(k + ".npy")
                raise DataError(f"read_npz: {name}: `{k}` does not fit in memory (it needs "
                                f"{info.file_size:,} bytes).", argument=k, received=info.file_size,
                                fix="use a machine with more memory, or split the set") from None
            except Exception as e:  # noqa: BLE001 - damaged member (bad CRC, unknown method, ...)
                raise damaged(e) from None
    values, offsets = parts.pop("values"), parts.pop("offsets")
    names = parts.pop("feature_names", None)
    if names is not None and names.ndim != 1:
        raise DataError(f"read_npz: {name}: `feature_names` must be 1-D.", argument="feature_names",
                        received=names.shape)
    return SequenceSet(values, offsets, feature_names=None if names is None else names.tolist(),
                       **parts)
