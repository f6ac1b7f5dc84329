"""`write_long_csv`: a `SequenceSet` as a long table, one row per time step."""

from __future__ import annotations

import os

import numpy as np

from .._errors import ConfigError, ShapeError
from .._fs import atomic_file
from ..core import SequenceSet

__all__ = ["write_long_csv"]

OP = "write_long_csv"


def write_long_csv(data, path, *, id: str = "id", time: str = "time", target: str = "target",
                   step_target: str = "step_target", times=None) -> None:
    """Write ``data`` as a long CSV table (``.csv``, or gzip-compressed ``.csv.gz``).

    Columns: ``id`` (the set's ids, or 0..n-1), ``time`` (``times`` if given, else the
    step index 0..T_i-1 within each sequence), one column per feature (the set's
    ``feature_names``, or ``feature_0``...), then ``target`` (the per-sequence target
    repeated on every step) and ``step_target`` when the set has them. Reading the file
    back with :func:`read_table` (``target=...``, matching ``level``) gives the same
    sequences; floats are written with enough digits to round-trip.

    The file is written to a temporary file in the same directory and renamed into
    place, so a reader never sees a partial file.

    Args:
        data: a ``SequenceSet``.
        path: destination; a name ending in ``.gz`` is gzip-compressed.
        times: optional ``(N_steps,)`` array of times (e.g. years or timestamps), in
            the order of ``data.values``.
    """
    if not isinstance(data, SequenceSet):
        raise ConfigError(f"{OP}: `data` must be a SequenceSet. Received type "
                          f"{type(data).__name__}.", argument="data",
                          received=type(data).__name__)
    names = list(data.feature_names) if data.feature_names is not None else [
        f"feature_{j}" for j in range(data.n_features)]
    columns = [id, time, *names]
    if data.targets is not None:
        columns.append(target)
    if data.step_targets is not None:
        columns.append(step_target)
    clash = sorted({c for c in columns if columns.count(c) > 1})
    if clash:
        raise ConfigError(f"{OP}: column name(s) {clash} would appear twice (columns: {columns}).",
                          argument="id", received=clash,
                          fix="pass different id=/time=/target= names")
    import pyarrow as pa
    from pyarrow import csv

    lengths = data.lengths
    N = data.n_steps
    if times is None:
        step_time = np.arange(N, dtype=np.int64) - np.repeat(data.offsets[:-1], lengths)
    else:
        step_time = np.asarray(times)
        if step_time.shape != (N,):
            raise ShapeError(f"{OP}: `times` must have one entry per step, shape ({N},). Received "
                             f"shape {step_time.shape}.", argument="times", received=step_time.shape)
    ids = data.ids if data.ids is not None else np.arange(len(data))
    cols = {id: pa.array(np.repeat(np.asarray(ids), lengths)), time: pa.array(step_time)}
    for j, name in enumerate(names):
        cols[name] = pa.array(np.ascontiguousarray(data.values[:, j]))
    if data.targets is not None:
        cols[target] = pa.array(np.repeat(np.asarray(data.targets), lengths))
    if data.step_targets is not None:
        cols[step_target] = pa.array(np.asarray(data.step_targets))
    table = pa.table(cols)
    gz = os.fspath(path).lower().endswith(".gz")
    with atomic_file(path) as tmp:
        try:  # plain values; quotes only if a value holds a comma, quote or line break
            _write(table, tmp, gz, "none")
        except pa.ArrowInvalid:
            _write(table, tmp, gz, "needed")


def _write(table, tmp, gz, quoting):
    import pyarrow as pa
    from pyarrow import csv

    import csv as pycsv
    import io

    header = io.StringIO()
    pycsv.writer(header, lineterminator="\n").writerow(table.column_names)  # quoted only if needed
    with pa.OSFile(tmp, "wb") as raw:
        sink = pa.CompressedOutputStream(raw, "gzip") if gz else raw
        try:
            sink.write(header.getvalue().encode("utf-8"))
            csv.write_csv(table, sink, csv.WriteOptions(include_header=False, quoting_style=quoting))
        finally:
            if gz:
                sink.close()
