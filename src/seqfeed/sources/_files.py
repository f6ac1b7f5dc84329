"""What a data source is: the one resolver of sources (suffixes, shards, bundled dataset names).

:func:`resolve_source` is used by :func:`seqfeed.sources.read` and by the command line, so
both accept the same files and names; :data:`BUNDLED` is the one list of the datasets
shipped with seqfeed (``seqfeed.datasets.names()``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .._errors import ConfigError

TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
TS_SUFFIXES = (".ts", ".ts.gz")
NPZ_SUFFIXES = (".npz",)
NPY_SUFFIXES = (".npy",)
BUNDLED = ("japanese_vowels", "sunspots")
MANIFEST = "manifest.json"


def is_path(source) -> bool:
    return isinstance(source, (str, os.PathLike))


def suffix_kind(path) -> str | None:
    """``"csv"``, ``"parquet"``, ``"ts"``, ``"npz"``, ``"npy"`` or None, from the file name (case-insensitive)."""
    name = os.fspath(path).lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(TS_SUFFIXES):
        return "ts"
    if name.endswith(NPZ_SUFFIXES):
        return "npz"
    if name.endswith(NPY_SUFFIXES):
        return "npy"
    return None


def is_shards(path) -> bool:
    """True if ``path`` is a directory holding a shards ``manifest.json``."""
    try:
        return os.path.isdir(path) and os.path.isfile(os.path.join(path, MANIFEST))
    except TypeError:
        return False


@dataclass(frozen=True)
class Resolved:
    """What :func:`resolve_source` found.

    ``kind`` is ``"table"`` (an in-memory table or DataFrame), ``"shards"`` (a shards
    directory), ``"csv"``, ``"parquet"``, ``"ts"``, ``"npz"``, ``"npy"`` (a file, by its
    suffix) or ``"bundled"`` (a dataset shipped with seqfeed: ``source`` is its name and
    ``split`` the part after ``name:``, or None).
    """

    kind: str
    source: object
    split: str | None = None


def resolve_source(source) -> Resolved | None:
    """Which kind of source ``source`` is, or None when it is none of them.

    A path is a shards directory if it holds ``manifest.json``, else a file known by its
    suffix; a string that is not an existing path and reads ``NAME`` or ``NAME:SPLIT`` with
    ``NAME`` in :data:`BUNDLED` is a bundled dataset. Anything that is not a path is an
    in-memory table. Nothing is read.

    >>> resolve_source("runs/data.CSV.gz").kind, resolve_source("japanese_vowels:test")
    ('csv', Resolved(kind='bundled', source='japanese_vowels', split='test'))
    """
    if not is_path(source):
        return Resolved("table", source)
    if is_shards(source):
        return Resolved("shards", source)
    kind = suffix_kind(source)
    if kind is not None:
        return Resolved(kind, source)
    name, _, split = os.fspath(source).partition(":")
    if name in BUNDLED and not os.path.exists(source):
        return Resolved("bundled", name, split or None)
    return None


def describe_sources() -> str:
    """The accepted suffixes and dataset names, for error messages."""
    return (f"Supported suffixes: {', '.join(TABLE_SUFFIXES + TS_SUFFIXES + NPZ_SUFFIXES)}; bundled datasets: "
            f"{', '.join(BUNDLED)}")


def check_suffix(op: str, path, kinds: tuple[str, ...], suffixes: tuple[str, ...]) -> str:
    kind = suffix_kind(path)
    if kind not in kinds:
        raise ConfigError(
            f"{op}: cannot tell the format of {os.path.basename(os.fspath(path))!r} from its suffix. "
            f"Supported suffixes: {', '.join(suffixes)}.",
            argument="path", received=os.fspath(path),
            fix="rename the file to one of the supported suffixes")
    return kind
