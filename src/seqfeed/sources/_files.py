"""Paths: which reader a file suffix selects."""

from __future__ import annotations

import os

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
