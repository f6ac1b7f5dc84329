"""Paths: which reader a file suffix selects, and atomic writes."""

from __future__ import annotations

import contextlib
import os
import tempfile

from .._errors import ConfigError

TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
TS_SUFFIXES = (".ts", ".ts.gz")
NPZ_SUFFIXES = (".npz",)


def is_path(source) -> bool:
    return isinstance(source, (str, os.PathLike))


def suffix_kind(path) -> str | None:
    """``"csv"``, ``"parquet"``, ``"ts"``, ``"npz"`` or None, from the file name (case-insensitive)."""
    name = os.fspath(path).lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(TS_SUFFIXES):
        return "ts"
    if name.endswith(NPZ_SUFFIXES):
        return "npz"
    return None


def check_suffix(op: str, path, kinds: tuple[str, ...], suffixes: tuple[str, ...]) -> str:
    kind = suffix_kind(path)
    if kind not in kinds:
        raise ConfigError(
            f"{op}: cannot tell the format of {os.path.basename(os.fspath(path))!r} from its suffix. "
            f"Supported suffixes: {', '.join(suffixes)}.",
            argument="path", received=os.fspath(path),
            fix="rename the file to one of the supported suffixes")
    return kind


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to ``path``; on success it replaces ``path`` in one step.

    Readers never see a half-written file: the data goes to a temporary file in the same
    directory (so ``os.replace`` is a rename on the same file system), which is removed if
    writing fails.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
