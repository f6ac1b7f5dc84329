"""`read`: one entry point that picks the reader from a file suffix or a dataset name."""

from __future__ import annotations

import os

from .._errors import ConfigError
from . import _bundled
from ._files import describe_sources, resolve_source

__all__ = ["read"]


def read(source, **options):
    """Read sequences from ``source``, choosing the reader by its kind.

    * ``.csv``, ``.csv.gz``, ``.parquet``, ``.pq`` -> :func:`read_table`;
    * ``.ts``, ``.ts.gz`` -> :func:`read_ts`;
    * ``.npz`` -> :func:`read_npz`;
    * the name of a bundled dataset (``seqfeed.datasets.names()``, e.g.
      ``"japanese_vowels"``, or ``"japanese_vowels:test"`` for one split) ->
      :func:`seqfeed.datasets.load`;
    * a pyarrow Table or a pandas/polars DataFrame -> :func:`read_table`;
    * a shards directory (holding ``manifest.json``) -> :func:`read_shards`.

    ``options`` are passed to the chosen reader (e.g. ``target="label"``). The kind is
    decided by :func:`seqfeed.sources._files.resolve_source`, which the command line uses too.
    """
    from ._npz import read_npz
    from ._shards import read_shards
    from ._table import read_table
    from ._ts import read_ts

    found = resolve_source(source)
    kind = found.kind if found is not None else None
    if kind in ("table", "csv", "parquet"):
        return read_table(source, **options)
    if kind == "shards":
        return read_shards(source, **options)
    if kind == "ts":
        return read_ts(source, **options)
    if kind == "npz":
        if options:
            raise ConfigError(f"read: .npz files take no options. Received: {sorted(options)}.",
                              argument=sorted(options)[0])
        return read_npz(source)
    if kind == "bundled":
        if found.split is not None:
            options = {"split": found.split, **options}
        return _bundled.load(found.source, **options)
    name = os.fspath(source)
    raise ConfigError(
        f"read: cannot tell how to read {name!r}. {describe_sources()}.", argument="source", received=name,
        fix="rename the file to a supported suffix, or call read_table/read_ts directly")
