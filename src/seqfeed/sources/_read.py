"""`read`: one entry point that picks the reader from a file suffix or a dataset name."""

from __future__ import annotations

import os

from .._errors import ConfigError
from . import _bundled
from ._files import NPZ_SUFFIXES, TABLE_SUFFIXES, TS_SUFFIXES, is_path, suffix_kind

__all__ = ["read"]


def read(source, **options):
    """Read sequences from ``source``, choosing the reader by its kind.

    * ``.csv``, ``.csv.gz``, ``.parquet``, ``.pq`` -> :func:`read_table`;
    * ``.ts``, ``.ts.gz`` -> :func:`read_ts`;
    * ``.npz`` -> :func:`read_npz`;
    * the name of a bundled dataset (``seqfeed.datasets.names()``, e.g.
      ``"japanese_vowels"``) -> :func:`seqfeed.datasets.load`;
    * a pyarrow Table or a pandas/polars DataFrame -> :func:`read_table`;
    * a shards directory (holding ``manifest.json``) -> :func:`read_shards`.

    ``options`` are passed to the chosen reader (e.g. ``target="label"``).
    """
    from ._npz import read_npz
    from ._table import read_table
    from ._ts import read_ts

    if not is_path(source):
        return read_table(source, **options)
    from ._shards import is_shards, read_shards

    if is_shards(source):
        return read_shards(source, **options)
    kind = suffix_kind(source)
    if kind in ("csv", "parquet"):
        return read_table(source, **options)
    if kind == "ts":
        return read_ts(source, **options)
    if kind == "npz":
        if options:
            raise ConfigError(f"read: .npz files take no options. Received: {sorted(options)}.",
                              argument=sorted(options)[0])
        return read_npz(source)
    name = os.fspath(source)
    if name in _bundled.names():
        return _bundled.load(name, **options)
    raise ConfigError(
        f"read: cannot tell how to read {name!r}. Supported suffixes: "
        f"{', '.join(TABLE_SUFFIXES + TS_SUFFIXES + NPZ_SUFFIXES)}; bundled datasets: "
        f"{_bundled.names()}.", argument="source", received=name,
        fix="rename the file to a supported suffix, or call read_table/read_ts directly")
