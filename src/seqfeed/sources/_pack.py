"""`pack`: a long table of any size (files, a directory, a glob) -> sequence shards, out of core.

Two engines bring every row of an entity together without holding the table:

* ``"duckdb"``: the rows stream (as Arrow batches, each with its input row number)
  into DuckDB, which sorts them by (id, input row) out of core under its own
  ``memory_limit`` and spills to a temporary directory; the sorted stream comes back
  in batches, is cut at entity boundaries into chunks of a bounded number of rows,
  and each chunk goes through the per-entity kernel.
* ``"arrow"``: pure PyArrow. Pass 1 samples the ids and fixes K id ranges whose rows
  each fit the memory budget; pass 2 appends every batch's rows to the temporary
  Arrow file of their range; pass 3 runs the kernel on each range file in turn.

Both give identical shards (sequences sorted by id, rows of an id in input order
before the kernel sorts them by time). ``engine="auto"`` is ``"arrow"``: on 20M rows
(0.96 GB in memory, 8 files, 2 cores, ``memory="1GiB"``) it took 46 s at 676 MiB
peak RSS against DuckDB's 65 s at 1019 MiB; DuckDB's sort alone (its own Parquet
reader, 300 MiB limit) took 77 s. ``benchmarks/bench_pack.py`` measures both.
"""

from __future__ import annotations

import glob as _glob
import math
import os
import re
import shlex
import shutil
import sys
import tempfile
import time as _time

import numpy as np

from .._errors import ConfigError, DataError, SeqfeedError, check_choice, check_int
from ._entity_kernel import OP, _remap, pack_entities, parse_split
from ._files import TABLE_SUFFIXES, suffix_kind

__all__ = ["pack", "parse_memory", "list_inputs"]

ENGINES = ("auto", "duckdb", "arrow")
ROW = "__seqfeed_row"
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000 ** 2, "mb": 1000 ** 2, "g": 1000 ** 3,
          "gb": 1000 ** 3, "t": 1000 ** 4, "tb": 1000 ** 4, "kib": 1 << 10, "mib": 1 << 20,
          "gib": 1 << 30, "tib": 1 << 40}
_MIN_MEMORY = 64 << 20


def parse_memory(memory, op: str = OP) -> int:
    """Bytes from ``1073741824``, ``"1GiB"``, ``"512MiB"``, ``"2GB"``, ``"1.5G"``."""
    if isinstance(memory, (int, np.integer)) and not isinstance(memory, bool):
        n = int(memory)
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][0-9]+)?)\s*([A-Za-z]*)\s*", str(memory)) \
            if isinstance(memory, (str, float)) else None
        unit = m.group(2).lower() if m else None
        if not m or unit not in _UNITS:
            raise ConfigError(f"{op}: `memory` must be a size such as '1GiB', '512MiB' or a number of "
                              f"bytes. Received: memory={memory!r}.", argument="memory",
                              received=memory, fix="pass e.g. memory='1GiB'")
        n = int(float(m.group(1)) * _UNITS[unit])
    if n < _MIN_MEMORY:
        raise ConfigError(f"{op}: `memory` must be at least 64MiB. Received: memory={memory!r} "
                          f"({n} bytes).", argument="memory", received=memory,
                          fix="pass memory='1GiB' or more")
    return n


# --------------------------------------------------------------------------- inputs
def list_inputs(data, op: str = OP) -> list[str]:
    """The input files: a file, a directory (every table file below it), a glob, or a list."""
    if isinstance(data, (list, tuple)):
        out = []
        for d in data:
            out += list_inputs(d, op)
        return out
    if not isinstance(data, (str, os.PathLike)):
        raise ConfigError(f"{op}: `data` must be a path, a directory, a glob or a list of paths. "
                          f"Received a {type(data).__name__}.", argument="data",
                          received=type(data).__name__,
                          fix="for an in-memory table use read_table, then write_shards")
    path = os.fspath(data)
    if os.path.isdir(path):
        files = sorted(os.path.join(root, f) for root, _, names in os.walk(path) for f in names
                       if suffix_kind(f) in ("csv", "parquet") and not f.startswith((".", "_")))
        if not files:
            raise DataError(f"{op}: the directory {path!r} holds no {', '.join(TABLE_SUFFIXES)} file.",
                            argument="data", received=path)
        return files
    if os.path.isfile(path):
        if suffix_kind(path) not in ("csv", "parquet"):
            raise ConfigError(f"{op}: cannot tell the format of {os.path.basename(path)!r} from its "
                              f"suffix. Supported: {', '.join(TABLE_SUFFIXES)}.", argument="data",
                              received=path, fix="rename the file to a supported suffix")
        return [path]
    if any(c in path for c in "*?["):
        files = sorted(f for f in _glob.glob(path, recursive=True)
                       if os.path.isfile(f) and suffix_kind(f) in ("csv", "parquet"))
        if not files:
            raise DataError(f"{op}: the pattern {path!r} matches no {', '.join(TABLE_SUFFIXES)} file.",
                            argument="data", received=path)
        return files
    raise FileNotFoundError(2, "No such file or directory", path)


def _unify(op, name, types, files):
    import pyarrow as pa

    from ._arrow_source import is_stringlike

    plain = [t.value_type if pa.types.is_dictionary(t) else t for t in types]
    typed = [i for i, t in enumerate(plain) if not pa.types.is_null(t)]
    if typed and len(typed) < len(plain):  # an empty or all-null file says nothing of the type
        return _unify(op, name, [types[i] for i in typed], [files[i] for i in typed])
    first = plain[0]
    if all(t == first for t in plain):
        return types[0] if all(t == types[0] for t in types) else first
    if all(pa.types.is_integer(t) for t in plain):
        return pa.int64()
    if all(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
           or pa.types.is_null(t) for t in plain):
        return pa.float64()
    if all(is_stringlike(t) for t in plain):
        return pa.large_string()
    k = next(i for i, t in enumerate(plain) if t != first)
    raise DataError(f"{OP}: column {name!r} is {first} in {os.path.basename(files[0])!r} but {plain[k]} "
                    f"in {os.path.basename(files[k])!r}.", argument=name, received=str(plain[k]),
                    fix="give the column one type in every file")


class _Inputs:
    """The input files as one stream of Arrow batches with a global row number column."""

    def __init__(self, files, batch_size):
        from ._arrow_source import open_source

        self.files = files
        self.sources = [open_source(OP, f, batch_size) for f in files]
        self.file_rows = [s.num_rows for s in self.sources]  # None for CSV until scanned

    def schema(self, columns):
        import pyarrow as pa

        fields = []
        for c in columns:
            absent = [f for f, s in zip(self.files, self.sources) if c not in s.schema.names]
            if absent:
                raise ConfigError(f"{OP}: column {c!r} is not in {os.path.basename(absent[0])!r} "
                                  f"(it is in {os.path.basename(self.files[0])!r}). Columns there: "
                                  f"{self.sources[self.files.index(absent[0])].schema.names}.",
                                  argument=c, received=absent[0],
                                  fix="give every input file the same columns")
            fields.append(pa.field(c, _unify(OP, c, [s.schema.field(c).type for s in self.sources],
                                             self.files)))
        return pa.schema(fields)

    @property
    def num_rows(self):
        return None if any(n is None for n in self.file_rows) else int(sum(self.file_rows))

    def batches(self, schema, with_row=True):
        """Batches of ``schema``'s columns (cast to it), plus the int64 row number column."""
        import pyarrow as pa

        row0 = 0
        out_schema = schema.append(pa.field(ROW, pa.int64())) if with_row else schema
        for k, src in enumerate(self.sources):
            n = 0
            for b in src.batches(schema.names):
                cols = []
                for f in schema:
                    c = b.column(f.name)
                    if c.type != f.type:
                        try:
                            c = c.cast(f.type)
                        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                            raise DataError(f"{OP}: column {f.name!r} of "
                                            f"{os.path.basename(self.files[k])!r} cannot be read as "
                                            f"{f.type} ({e}).", argument=f.name,
                                            received=str(c.type)) from None
                    cols.append(c)
                if with_row:
                    cols.append(pa.array(np.arange(row0 + n, row0 + n + b.num_rows, dtype=np.int64)))
                n += b.num_rows
                yield pa.RecordBatch.from_arrays(cols, schema=out_schema)
            self.file_rows[k] = n
            row0 += n

    def describe_row(self, g: int) -> str:
        starts = np.cumsum([0] + [n or 0 for n in self.file_rows])
        k = int(np.searchsorted(starts, g, side="right") - 1)
        k = min(max(k, 0), len(self.files) - 1)
        if len(self.files) == 1:
            return f"row {g}"
        return f"row {g - int(starts[k])} of {os.path.basename(self.files[k])!r}"


# --------------------------------------------------------------------------- progress
class _Progress:
    def __init__(self, enabled: bool, total: int | None):
        self.enabled = enabled
        self.total = total
        self.t0 = _time.monotonic()
        self._last = 0.0
        self.phase = ""

    def update(self, phase: str, done: int, total: int | None = None, force: bool = False):
        if not self.enabled:
            return
        now = _time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        total = total if total is not None else self.total
        el = now - self.t0
        if total:
            frac = min(done / total, 1.0)
            bar = "#" * int(frac * 24)
            msg = f"\rseqfeed pack: {phase:<8} [{bar:<24}] {frac:6.1%} {done:,}/{total:,} rows {el:6.0f}s"
        else:
            msg = f"\rseqfeed pack: {phase:<8} {done:,} rows {el:6.0f}s"
        sys.stderr.write(msg)
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# --------------------------------------------------------------------------- sizes
def _row_bytes(schema, n_features: int) -> int:
    """Bytes one input row costs in the kernel: the row, read_table's keys, the output."""
    import pyarrow as pa

    w = 8  # row number
    for f in schema:
        t = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
        try:
            w += max(t.bit_width // 8, 1)
        except ValueError:  # strings: a guess of their length plus the offset
            w += 24
    return 2 * w + 48 + 8 * n_features


def _duckdb_reader(rel, batch_rows):
    for name in ("to_arrow_reader", "fetch_arrow_reader", "record_batch"):
        f = getattr(rel, name, None)
        if f is not None:
            return f(batch_rows)
    raise ConfigError("pack: this DuckDB version cannot stream Arrow results.", argument="engine",
                      fix="install duckdb>=1.1 (pip install 'seqfeed[pack]') or pass engine='arrow'")


# --------------------------------------------------------------------------- engines
def _chunks_duckdb(inputs, schema, id, chunk_rows, memory, tmp, threads, progress):
    """Whole-entity chunks (Arrow tables, each sorted by id then input row) via DuckDB."""
    try:
        import duckdb
    except ImportError:
        raise ConfigError("pack: engine='duckdb' needs the duckdb package.", argument="engine",
                          fix="pip install 'seqfeed[pack]' (or duckdb>=1.1), or pass "
                              "engine='arrow'") from None
    import pyarrow as pa

    limit = max(int(memory), 32 << 20)
    con = duckdb.connect(config={"memory_limit": f"{limit // (1 << 20)}MiB",
                                 "temp_directory": tmp, "threads": threads,
                                 "preserve_insertion_order": False})
    try:
        total = inputs.num_rows
        seen = [0]
        failed: list = []

        def feed():
            try:
                for b in inputs.batches(schema):
                    seen[0] += b.num_rows
                    progress.update("sorting", seen[0], total)
                    yield b
            except SeqfeedError as e:  # DuckDB would turn it into its own error type
                failed.append(e)
                raise

        reader = pa.RecordBatchReader.from_batches(schema.append(pa.field(ROW, pa.int64())), feed())
        con.register("seqfeed_rows", reader)
        q = f'SELECT * FROM seqfeed_rows ORDER BY "{id}", "{ROW}"'
        try:
            out = _duckdb_reader(con.sql(q), max(1024, min(1 << 16, chunk_rows // 4)))
            yield from _cut_at_entities(out, id, chunk_rows, total, progress)
        except SeqfeedError:
            raise
        except Exception as e:
            if failed:
                raise failed[0] from None
            if isinstance(e, duckdb.Error):
                oom = isinstance(e, getattr(duckdb, "OutOfMemoryException", ())) or \
                    "memory" in str(e).lower()
                what = (f"DuckDB ran out of memory sorting the rows within its share "
                        f"({limit >> 20} MiB) of the `memory` budget" if oom else
                        f"DuckDB failed ({type(e).__name__}: {str(e).splitlines()[0]})")
                raise ConfigError(f"{OP}: {what}.", argument="memory" if oom else "engine",
                                  received=limit,
                                  fix="use engine='arrow' (the default, --engine arrow), whose "
                                      "memory does not grow with the input, or a larger "
                                      "memory budget") from None
            raise
    finally:
        con.close()


def _cut_at_entities(out, id, chunk_rows, total, progress):
    """Tables of whole entities (about ``chunk_rows`` rows) from batches sorted by id."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pending: list = []
    n_pending = 0
    done = 0
    for b in out:
        if b.num_rows == 0:
            continue
        pending.append(b)
        n_pending += b.num_rows
        if n_pending < chunk_rows:
            continue
        t = pa.Table.from_batches(pending)
        ids = t.column(id)
        last = ids[-1]
        same = pc.equal(ids, last) if last.is_valid else pc.is_null(ids)
        cut = t.num_rows - int(pc.sum(pc.cast(same, pa.int64())).as_py() or 0)
        if cut == 0:  # one entity larger than a chunk: keep reading
            continue
        head, rest = t.slice(0, cut), t.slice(cut)
        pending = rest.to_batches()
        n_pending = rest.num_rows
        done += head.num_rows
        progress.update("packing", done, total)
        yield head
        del head, t
    if pending:
        yield pa.Table.from_batches(pending)


def _sample_ids(inputs, schema, id, progress):
    """(rows, a sorted sample of the ids of at most ~2**18 rows, every k-th row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow_source import plain

    sample = []
    stride = 1
    kept = 0
    n = 0
    for b in inputs.batches(pa.schema([schema.field(id)]), with_row=False):
        col = plain(b.column(0)).drop_null()
        start = (-n) % stride
        take = col if stride == 1 else col.take(pa.array(np.arange(start, len(col), stride,
                                                                    dtype=np.int64)))
        sample.append(take)
        kept += len(take)
        n += b.num_rows
        progress.update("sampling", n)
        if kept > 1 << 18:  # decimate
            allv = pa.concat_arrays(sample)
            allv = allv.take(pa.array(np.arange(0, len(allv), 2, dtype=np.int64)))
            sample = [allv]
            kept = len(allv)
            stride *= 2
    if not sample or kept == 0:
        return n, None
    arr = pa.concat_arrays(sample)
    return n, arr.take(pc.sort_indices(arr))


def _boundaries(sorted_sample, k):
    """Ids splitting the rows into ``k`` ranges of about equal row counts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if sorted_sample is None or k <= 1:
        return None
    pos = [int(i * len(sorted_sample) / k) for i in range(1, k)]
    return pc.unique(sorted_sample.take(pa.array(pos, pa.int64())))


def _range_of(ids, bounds) -> np.ndarray:
    """Range index per row: the number of boundaries <= id (ids sorted -> ranges sorted)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow_source import plain

    ids = plain(ids)
    if pa.types.is_integer(ids.type) and pa.types.is_integer(bounds.type) and not ids.null_count:
        return np.searchsorted(bounds.to_numpy(), ids.to_numpy(), side="right")
    out = np.zeros(len(ids), dtype=np.int64)
    for b in bounds:
        ge = pc.greater_equal(ids, b)
        out += pc.fill_null(ge, False).to_numpy(zero_copy_only=False)
    return out


def _chunks_arrow(inputs, schema, id, chunk_rows, tmp, progress):
    import pyarrow as pa
    import pyarrow.ipc as ipc

    n, sample = _sample_ids(inputs, schema, id, progress)
    bounds = _boundaries(sample, max(1, math.ceil(n * 1.3 / chunk_rows)))
    del sample
    full = schema.append(pa.field(ROW, pa.int64()))
    if bounds is None or len(bounds) == 0:
        k = 1
    else:
        k = len(bounds) + 1
    paths = [os.path.join(tmp, f"range-{i:05d}.arrow") for i in range(k)]
    writers = [None] * k
    done = 0
    try:
        for b in inputs.batches(schema):
            done += b.num_rows
            progress.update("routing", done, n)
            if k == 1:
                r = np.zeros(b.num_rows, dtype=np.int64)
            else:
                r = _range_of(b.column(id), bounds)
            order = np.argsort(r, kind="stable")
            rs = r[order]
            cuts = np.flatnonzero(np.diff(rs)) + 1
            starts = np.r_[0, cuts]
            ends = np.r_[cuts, rs.shape[0]]
            sb = b.take(pa.array(order)) if k > 1 else b
            for s, e in zip(starts, ends):
                if e <= s:
                    continue
                i = int(rs[s])
                if writers[i] is None:
                    writers[i] = ipc.new_file(paths[i], full)
                writers[i].write_batch(sb.slice(int(s), int(e - s)))
    finally:
        for w in writers:
            if w is not None:
                w.close()
    done = 0
    for i, p in enumerate(paths):
        if writers[i] is None:
            continue
        with pa.memory_map(p) as src:
            t = ipc.open_file(src).read_all()
        done += t.num_rows
        progress.update("packing", done, n)
        yield t
        del t
        os.remove(p)


# --------------------------------------------------------------------------- pack
def pack(source, *, id: str = "id", time: str | None = "time", features=None, target: str | None = None,
         out, memory="1GiB", split=None, nan: str = "error", duplicates: str = "error",
         level: str = "sequence", dtype="float32", engine: str = "auto", force: bool = False,
         progress: bool = True, threads: int | None = None, file_bytes: int | None = None,
         chunk_rows: int | None = None, command: str | None = None) -> dict:
    """Pack a long table of any size into sequence shards, out of core.

    Reads CSV/Parquet rows (one row per time step, in any order, one entity's rows
    spread over any number of files), brings each entity's rows together under a
    memory budget, turns them into sequences with the same per-entity kernel Spark
    uses (so NaN/duplicate policies and errors are those of
    :func:`~seqfeed.sources.read_table`), and writes a shards directory
    (format: ``seqfeed.sources._shards``).

    Args:
        source: a file (``.csv``, ``.csv.gz``, ``.parquet``, ``.pq``), a directory (every
            such file below it, in name order), a glob (``"data/*.parquet"``) or a list
            of those. Files are read in name order; that order is the "input order"
            used by ``duplicates="first"/"last"``.
        id, time, target, features, nan, duplicates, level, dtype: as in
            :func:`~seqfeed.sources.read_table`.
        out: the new shards directory; it appears whole or not at all.
        memory: the budget for the whole process, e.g. ``"1GiB"`` (default), ``"512MiB"``,
            or bytes. Chunks of entities, DuckDB's sort memory and the writer's buffer
            are sized from it; a single entity larger than the chunk budget is still
            read whole.
        split: None, ``"entity:F"`` / ``"entity:V,F"`` (a fraction of the ids to test /
            validation and test, by a stable hash of the id) or ``"time:CUTOFF"`` (steps
            before the cutoff -> train, the rest -> test).
        engine: ``"duckdb"`` (out-of-core sort; needs ``pip install 'seqfeed[pack]'``),
            ``"arrow"`` (pure PyArrow range partitioning) or ``"auto"`` (arrow, the
            faster by measurement; see the module docstring).
        force: replace an existing shards directory at ``out``.
        progress: a progress bar on stderr.
        threads: DuckDB threads (default: the CPU count).
        file_bytes: values per part file (default ``min(64MiB, memory / 16)``).
        chunk_rows: input rows per kernel chunk (default: from ``memory``); smaller
            chunks only cost time.
        command: the command line recorded in the manifest (the CLI sets it).

    Returns:
        The manifest (also in ``out/manifest.json``).

    Raises:
        ConfigError: an invalid option, an existing ``out`` without ``force``, columns
            missing from a file.
        DataError: as ``read_table`` (bad row, NaN policy, duplicates; the message names
            the file and the row in it), or columns whose types differ between files.
    """
    import pyarrow as pa

    from ._shards import ShardWriter, check_out
    from ._table import check_options, _resolve_columns

    args = {"id": id, "time": time, "features": features, "target": target, "memory": memory,
            "split": split, "nan": nan, "duplicates": duplicates, "level": level,
            "dtype": str(dtype), "engine": engine}
    try:
        opts = check_options(id, time, target, features, level, nan, duplicates, True, None,
                              dtype, 1 << 16)
    except SeqfeedError as e:
        raise _remap(e, None, None) from None
    check_choice(OP, "engine", engine, ENGINES)
    budget = parse_memory(memory)
    sp = parse_split(split)
    if sp is not None and sp.method == "time" and time is None:
        raise ConfigError(f"{OP}: a time split needs a time column. Received: time=None.",
                          argument="split", received=split,
                          fix="name the time column, or use split='entity:FRACTION'")
    out = check_out(OP, out, force)
    if engine == "auto":  # measured faster and smaller (benchmarks/bench_pack.py)
        engine = "arrow"
    files = list_inputs(source)
    batch_rows = 1 << 16
    inputs = _Inputs(files, batch_rows)
    try:
        feats = _resolve_columns(inputs.sources[0].schema, id, time, target, opts["features"])
    except SeqfeedError as e:
        raise _remap(e, None, None) from None
    columns = [c for c in (id, time, target) if c is not None] + feats
    schema = inputs.schema(columns)
    try:
        _resolve_columns(schema, id, time, target, feats)
    except SeqfeedError as e:
        raise _remap(e, None, None) from None
    F = len(feats)
    per_row = _row_bytes(schema, F)
    # the budget: ~0.15 interpreter and libraries, the rest shared by the engine, the
    # kernel's chunk and the writer's buffer
    free = max(budget - (160 << 20), budget // 4)
    fbytes = int(file_bytes) if file_bytes else int(min(64 << 20, max(free // 16, 1 << 20)))
    if engine == "duckdb":
        engine_mem = int(free * 0.20)
        chunk_mem = free - engine_mem - 2 * fbytes
    else:
        engine_mem = 0
        chunk_mem = free - 2 * fbytes
    if chunk_rows is None:
        chunk_rows = max(1024, int(max(chunk_mem, free // 8) // per_row))
    else:
        chunk_rows = check_int(OP, "chunk_rows", chunk_rows, minimum=1)
    prog = _Progress(progress, inputs.num_rows)
    parent = os.path.dirname(os.path.abspath(out)) or "."
    tmp = tempfile.mkdtemp(prefix=".seqfeed-pack.", dir=parent)
    writer = ShardWriter(out, feature_names=feats, values_dtype=opts["dtype"], file_bytes=fbytes)
    try:
        if engine == "duckdb":
            chunks = _chunks_duckdb(inputs, schema, id, chunk_rows, engine_mem, tmp,
                                    threads or os.cpu_count() or 1, prog)
        else:
            chunks = _chunks_arrow(inputs, schema, id, chunk_rows, tmp, prog)
        n_chunks = 0
        tinfo = None
        for chunk in chunks:
            n_chunks += 1
            t = pack_entities(chunk, id=id, time=time, features=feats, target=target,
                              level=level, nan=nan, duplicates=duplicates, dtype=opts["dtype"],
                              split=sp, row=ROW, describe_row=inputs.describe_row)
            del chunk
            if t is not None:
                if tinfo is None and "target" in t.column_names:
                    tinfo = t.column("target").type
                elif tinfo is None and "targets" in t.column_names:
                    tinfo = t.column("targets").type.value_type
                writer.add(t)
            del t
        prog.close()
        tsrc = schema.field(target).type if target is not None else None
        manifest = {
            "created_by": {"function": "seqfeed.sources.pack", "arguments": args,
                           "command": command, "engine": engine, "inputs": len(files),
                           "input_rows": inputs.num_rows, "chunks": n_chunks},
            "columns": {"id": id, "time": time, "target": target},
            "id_type": str(schema.field(id).type),
            "features": [{"name": f, "dtype": str(schema.field(f).type)} for f in feats],
            "target": None if target is None else {
                "name": target, "level": level,
                "type": str(tinfo if tinfo is not None else tsrc)},
            "task_hint": arrow_task_hint(tsrc, level),
            "split": None if sp is None else sp.describe(),
        }
        return writer.finish(manifest, force=force)
    except BaseException:
        prog.enabled and sys.stderr.write("\n")
        writer.abort()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def arrow_task_hint(t, level):
    """The task a target column of Arrow type ``t`` suggests: "classify", "regress", "tag" or None."""
    import pyarrow as pa

    from ._arrow_source import is_stringlike

    if t is None:
        return None
    if level == "step":
        return "tag"
    if pa.types.is_dictionary(t):
        t = t.value_type
    if is_stringlike(t) or pa.types.is_integer(t) or pa.types.is_boolean(t):
        return "classify"
    return "regress"


def command_line(argv) -> str:
    return "seqfeed " + " ".join(shlex.quote(a) for a in argv)
