"""Long tables as a stream of Arrow record batches, and column -> NumPy conversions.

A source is opened once (schema only) and can then be read several times, each time
for a few columns: Parquet by row groups (``iter_batches``), CSV by blocks
(``pyarrow.csv.open_csv``), in-memory tables by zero-copy slices. PyArrow is imported
here, never at ``import seqfeed`` time.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._errors import ConfigError, DataError
from ._files import check_suffix, is_path, TABLE_SUFFIXES

_CSV_SAMPLE_BYTES = 1 << 16
_CSV_SCHEMA_BYTES = 1 << 20
_CSV_MIN_BLOCK = 1 << 16
_CSV_MAX_BLOCK = 1 << 26


class ParquetSource:
    kind = "parquet"

    def __init__(self, op: str, path: str, batch_size: int):
        import pyarrow.parquet as pq

        try:
            self._file = pq.ParquetFile(path, pre_buffer=False)  # pre_buffer keeps every batch alive
        except (pa.ArrowInvalid, OSError) as e:
            if isinstance(e, FileNotFoundError):
                raise
            raise DataError(f"{op}: {os.path.basename(path)!r} is not a readable Parquet file ({e}).",
                            argument="source", received=path,
                            fix="check that the file is a complete Parquet file (re-write it if it was cut short)") from None
        self.schema = self._file.schema_arrow
        self.num_rows = self._file.metadata.num_rows
        self._batch_size = batch_size
        self._op, self._path = op, path

    def batches(self, columns, types=None):
        try:
            yield from self._file.iter_batches(batch_size=self._batch_size, columns=list(columns),
                                               use_threads=True)
        except (pa.ArrowException, OSError, EOFError) as e:  # corrupted pages, bad compression
            raise DataError(f"{self._op}: {os.path.basename(self._path)!r} is damaged: reading "
                            f"columns {list(columns)} failed ({e}).".replace("\n", " "),
                            argument="source", received=self._path,
                            fix="write the file again from its source; a truncated or "
                                "corrupted Parquet file cannot be read") from None


class CsvSource:
    """A CSV file (``.csv`` or ``.csv.gz``) read chunk by chunk.

    The text is cut into chunks of whole lines (about ``batch_size`` rows each) and
    every chunk is parsed with the multi-threaded ``pyarrow.csv.read_csv``, which is
    several times faster than the streaming reader while keeping memory bounded to one
    chunk. (Values may not contain line breaks, as with pyarrow's default options.)
    Column types are inferred from the first MiB and then fixed for every chunk and
    every pass, so all passes see the same types.
    """

    kind = "csv"

    def __init__(self, op: str, path: str, batch_size: int):
        from pyarrow import csv

        self._op = op
        self._path = path
        self._chunk = self._chunk_size(batch_size)
        try:  # types are inferred from the first MiB, then fixed for every chunk and pass
            with pa.input_stream(path, compression="detect") as f:
                head = _normalise_newlines(f.read(_CSV_SCHEMA_BYTES))
            if len(head) == _CSV_SCHEMA_BYTES:  # parse whole lines only
                head = head[:head.rfind(b"\n") + 1] or head
            reader = csv.open_csv(pa.py_buffer(head),
                                  read_options=csv.ReadOptions(block_size=_CSV_SCHEMA_BYTES))
        except (pa.ArrowException, OSError, EOFError) as e:
            raise self._error(e, 0) from None
        self.schema = reader.schema
        reader.close()
        try:
            self.schema.names
        except UnicodeDecodeError as e:
            raise DataError(f"{op}: the header of {os.path.basename(path)!r} is not UTF-8 text "
                            f"(byte {e.object[e.start:e.start + 1]!r}).", argument="source", received=path,
                            fix="re-save the file as UTF-8") from None
        self.num_rows = None

    def _chunk_size(self, batch_size: int) -> int:
        """Bytes per chunk for about ``batch_size`` rows, from the first 64 KiB of the file."""
        try:
            with pa.input_stream(self._path, compression="detect") as f:
                sample = _normalise_newlines(f.read(_CSV_SAMPLE_BYTES))
        except (pa.ArrowException, OSError, EOFError) as e:
            raise self._error(e, 0) from None
        lines = max(sample.count(b"\n"), 1)
        per_row = max(len(sample) / lines, 1.0)
        return int(min(max(batch_size * per_row, _CSV_MIN_BLOCK), _CSV_MAX_BLOCK))

    def _error(self, e, row0) -> DataError:
        where = f" (in the rows from data row {row0} on)" if row0 else ""
        damaged = not isinstance(e, pa.ArrowInvalid) or "compress" in str(e).lower()
        e = str(e).strip().replace("\n", " ")
        return DataError(f"{self._op}: cannot parse {os.path.basename(self._path)!r} as CSV{where}: {e}",
                         argument="source", received=self._path,
                         fix="the file is damaged or truncated (for .csv.gz: not a complete gzip "
                             "stream); write it again from its source" if damaged else
                             "check the file's values; numbers must use '.' as the decimal point, "
                             "and `features=` can limit reading to the numeric columns")

    def _text_chunks(self):
        """Chunks of whole data lines (the header line removed)."""
        try:
            yield from self._text_chunks_raw()
        except (pa.ArrowException, OSError, EOFError) as e:  # e.g. a truncated .csv.gz
            raise self._error(e, 0) from None

    def _text_chunks_raw(self):
        buf = b""
        header = True
        with pa.input_stream(self._path, compression="detect") as f:
            while True:
                data = _normalise_newlines(f.read(self._chunk))
                buf = buf + data if buf else data
                if header:
                    nl = buf.find(b"\n")
                    if nl < 0 and data:
                        continue
                    buf = buf[nl + 1:] if nl >= 0 else b""
                    header = False
                if not data:
                    if buf.strip():
                        yield buf
                    return
                cut = buf.rfind(b"\n")
                if cut < 0:  # one line longer than a chunk: read on
                    continue
                if cut + 1 < len(buf):
                    chunk, buf = buf[:cut + 1], buf[cut + 1:]
                else:
                    chunk, buf = buf, b""
                if chunk.strip():
                    yield chunk

    def batches(self, columns, types=None):
        from pyarrow import csv

        fixed = {name: self.schema.field(name).type for name in columns}
        fixed.update(types or {})
        convert = csv.ConvertOptions(include_columns=list(columns), column_types=fixed)
        read_options = csv.ReadOptions(column_names=self.schema.names)
        row0 = 0
        for chunk in self._text_chunks():
            try:
                table = csv.read_csv(pa.py_buffer(chunk), read_options=read_options,
                                     convert_options=convert)
            except pa.ArrowInvalid as e:
                raise self._error(e, row0) from None
            for batch in table.to_batches():
                row0 += batch.num_rows
                yield batch


def _normalise_newlines(data: bytes) -> bytes:
    r"""Old Mac (CR-only) and Windows (CRLF) line endings as ``\n`` (the chunker cuts at ``\n``)."""
    if b"\r" not in data:
        return data
    # a CRLF split across two reads leaves an empty line, which the CSV parser skips
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


class MemorySource:
    kind = "table"

    def __init__(self, table, batch_size: int):
        self._table = table
        self.schema = table.schema
        self.num_rows = table.num_rows
        self._batch_size = batch_size

    def batches(self, columns, types=None):
        yield from self._table.select(list(columns)).to_batches(max_chunksize=self._batch_size)


def open_source(op: str, source, batch_size: int):
    """A path (.csv, .csv.gz, .parquet, .pq), Arrow table/record batch, or pandas/polars frame."""
    if is_path(source):
        path = os.fspath(source)
        kind = check_suffix(op, path, ("csv", "parquet"), TABLE_SUFFIXES)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{op}: no such file: {path!r}")
        return CsvSource(op, path, batch_size) if kind == "csv" else ParquetSource(op, path, batch_size)
    module = type(source).__module__ or ""
    if isinstance(source, pa.Table):
        return MemorySource(source, batch_size)
    if isinstance(source, pa.RecordBatch):
        return MemorySource(pa.Table.from_batches([source]), batch_size)
    if module.startswith("pandas") and type(source).__name__ == "DataFrame":
        named_index = any(n is not None for n in source.index.names)
        try:
            table = pa.Table.from_pandas(source, preserve_index=named_index)
        except (pa.ArrowException, ValueError, TypeError) as e:  # e.g. numbers and text in one column
            col = e.args[1] if len(e.args) > 1 else ""
            raise DataError(f"{op}: the DataFrame cannot be read as a table: {e.args[0] if e.args else e}"
                            f"{' (' + col + ')' if col else ''}.", argument="source",
                            received=type(source).__name__,
                            fix="give every column one type (e.g. df[col] = pandas.to_numeric(df[col], "
                                "errors='coerce') turns text cells into NaN)") from None
        return MemorySource(table.replace_schema_metadata(None), batch_size)
    if module.startswith("polars") and hasattr(source, "to_arrow"):
        return MemorySource(source.to_arrow(), batch_size)
    raise ConfigError(
        f"{op}: cannot read a long table from a {type(source).__name__}.", argument="source",
        received=type(source).__name__,
        fix="pass a path (.csv, .csv.gz, .parquet, .pq), a pyarrow Table, or a pandas or polars "
            "DataFrame")


# --------------------------------------------------------------------------- column types
def is_numeric(t) -> bool:
    return (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
            or pa.types.is_decimal(t) or pa.types.is_null(t))


def is_temporal(t) -> bool:
    return (pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_duration(t)
            or pa.types.is_time(t))


def is_stringlike(t) -> bool:
    return (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
            or pa.types.is_large_binary(t) or getattr(pa.types, "is_string_view", lambda _: False)(t))


def plain(array):
    """A dictionary-encoded array decoded to its values; string views as large strings."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if getattr(pa.types, "is_string_view", lambda _: False)(array.type):  # e.g. from polars
        array = array.cast(pa.large_string())
    return array


def first_null(array) -> int:
    return int(np.flatnonzero(np.asarray(array.is_null()))[0])


def numeric_numpy(array) -> np.ndarray:
    """A numeric Arrow array as a 1-D NumPy array; nulls become NaN.

    Integer and float columns without nulls are shared with Arrow (no copy); the
    caller casts while copying them into place.
    """
    t = array.type
    if array.null_count == 0 and (pa.types.is_floating(t) or pa.types.is_integer(t)):
        return array.to_numpy(zero_copy_only=False)
    as_float = pc.cast(array, pa.float64(), safe=False)
    if as_float.null_count:
        as_float = pc.fill_null(as_float, np.nan)
    return as_float.to_numpy(zero_copy_only=False)


def time_to_numpy(array) -> np.ndarray:
    """int64 for integer and temporal types (timestamps in their unit), float64 for floats."""
    t = array.type
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return pc.cast(array, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    if pa.types.is_date32(t) or pa.types.is_time32(t):
        array = array.cast(pa.int32())
    elif is_temporal(t) or pa.types.is_boolean(t):
        array = array.cast(pa.int64())
    elif pa.types.is_uint64(t):  # order-preserving map onto int64 (undone by uint64_time)
        u = array.to_numpy(zero_copy_only=False).astype(np.uint64, copy=False)
        return (u ^ np.uint64(1 << 63)).view(np.int64)
    return array.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def uint64_time(v: int) -> int:
    """The uint64 time that :func:`time_to_numpy` stored as the int64 ``v``."""
    return int(v) + (1 << 63)


class Encoder:
    """Dictionary-encodes string-like columns batch after batch into one global code space.

    Codes are int32, assigned in order of first appearance; ``uniques`` holds the values.
    """

    def __init__(self):
        self.uniques = None

    def encode(self, array) -> np.ndarray:
        array = plain(array)
        d = pc.dictionary_encode(array)
        dic = d.dictionary
        if self.uniques is None:
            mapping = np.arange(len(dic), dtype=np.int32)
            self.uniques = dic
        else:
            mapping = np.array(pc.index_in(dic, value_set=self.uniques).fill_null(-1).to_numpy(
                zero_copy_only=False), dtype=np.int32)
            new = np.flatnonzero(mapping < 0)
            if new.size:
                mapping[new] = len(self.uniques) + np.arange(new.size, dtype=np.int32)
                self.uniques = pa.concat_arrays([self.uniques, dic.take(pa.array(new))])
        return mapping[d.indices.to_numpy(zero_copy_only=False)]

    def values(self) -> np.ndarray:
        """The unique values as a NumPy array (str for strings, bytes for binary)."""
        if self.uniques is None:
            return np.zeros(0, dtype=str)
        t = self.uniques.type
        vals = self.uniques.to_pylist()
        if pa.types.is_binary(t) or pa.types.is_large_binary(t):
            return np.array(vals, dtype=bytes) if vals else np.zeros(0, dtype=bytes)
        return np.array(vals, dtype=str) if vals else np.zeros(0, dtype=str)
