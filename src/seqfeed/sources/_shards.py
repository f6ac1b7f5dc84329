"""Sequence shards: packed sequences on disk (Parquet, one row per sequence) + a JSON manifest.

Format (version 1)
------------------
A shards directory holds Parquet files ``part-00000.parquet``, ``part-00001.parquet``,
... and one ``manifest.json``. Every row of a part file is one whole sequence:

=============  ==========================================  =================================
column         Arrow type                                  meaning
=============  ==========================================  =================================
``id``         the id column's type (int64 or string)      which entity the sequence is
``values``     ``large_list<fixed_size_list<float32, F>>``  the steps, in time order; F is the
                                                           number of features (float64 if the
                                                           shards were made with that dtype)
``length``     int64                                       number of steps
``target``     number or string (optional)                 one target per sequence
``targets``    ``large_list<number or string>`` (optional)  one target per step (tagging)
``split``      string, nullable                            ``"train"``, ``"validation"``,
                                                           ``"test"`` or null (no split)
=============  ==========================================  =================================

* ``values`` maps onto a :class:`~seqfeed.SequenceSet` with no copy: the
  ``large_list`` offsets (int64) are the set's ``offsets`` and the innermost float
  buffer, seen as ``(N_steps, F)``, is its ``values``. Each file is written as one
  row group, so a file read with ``pyarrow.parquet.read_table(memory_map=True)`` gives
  single-chunk columns and ``read_shards`` of one file shares its memory with Arrow.
* Every part file written by seqfeed holds one split only, and files are numbered
  train first, then validation, then test, then unsplit. (A writer that cannot
  group by split may mark a file entry ``"split": "mixed"``; readers then filter its
  rows by the ``split`` column.) Within a split, sequences are sorted by id
  across files (``seqfeed pack`` with no split gives the order of ``read_table``).
  A time split (``split="time:CUTOFF"``) cuts each entity in two, so an id appears
  once in "train" and once in "test"; an entity split puts each id in one split only.
* ``manifest.json``::

      {"format": "seqfeed-shards", "format_version": 1, "seqfeed_version": "0.1.0",
       "created_by": {"function": "seqfeed.sources.pack", "arguments": {...},
                      "command": "seqfeed pack ..." or null},
       "columns": {"id": "sensor", "time": "ts", "target": "label"},
       "id_type": "int64", "values_dtype": "float32",
       "features": [{"name": "x", "dtype": "float32"}, ...],   # dtype in the source
       "target": {"name": "label", "level": "sequence" | "step", "type": "string"} | null,
       "task_hint": "classify" | "regress" | "tag" | null,
       "split": {"method": "entity", "validation": 0.1, "test": 0.2, "hash": "..."}
                | {"method": "time", "cutoff": "..."} | {"method": "given"} | null,
       "n_sequences": 1000, "n_steps": 123456,
       "counts": {"train": {"sequences": 700, "steps": 86000}, ...},   # "all" if unsplit
       "files": [{"name": "part-00000.parquet", "split": "train", "sequences": 350,
                  "steps": 43000, "bytes": 1234567}, ...],
       "length_histogram": {"edges": [0, 1, 2, 4, 8, ...], "counts": [...]},  # [e_i, e_i+1)
       "moments": {"split": "train" | "all",
                   "features": {"x": {"count": 86000, "mean": 0.1, "m2": 8600.0,
                                      "min": -3.2, "max": 4.1}, ...}}}

  ``moments`` are over the steps of the training split (every step if unsplit) and
  merge exactly (Chan et al.): variance is ``m2 / count``. Two manifests of disjoint
  data merge into the manifest of their union (:func:`merge_moments`), which is how a
  cluster job aggregates them.

Readers ignore manifest keys they do not know; a reader refuses a higher
``format_version``.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np

from .._errors import ConfigError, DataError, check_choice, check_int
from .._fs import replace_dir, temp_dir
from ..core import SequenceSet
from ._files import MANIFEST, is_shards

__all__ = ["read_shards", "write_shards", "is_shards", "load_manifest", "ShardWriter",
           "sequence_table", "merge_moments", "FORMAT", "FORMAT_VERSION", "SPLITS"]

FORMAT = "seqfeed-shards"
FORMAT_VERSION = 1
SPLITS = ("train", "validation", "test")
MIXED = "mixed"  # a file entry whose rows may belong to several splits
_SPLIT_ORDER = {"train": 0, "validation": 1, "test": 2, None: 3}
FILE_BYTES = 64 << 20  # default size of the values of one part file


# --------------------------------------------------------------------------- moments
def empty_moments(n_features: int) -> dict:
    return {"count": 0, "mean": np.zeros(n_features), "m2": np.zeros(n_features),
            "min": np.full(n_features, np.inf), "max": np.full(n_features, -np.inf)}


def moments_of(values: np.ndarray, block: int = 1 << 16) -> dict:
    """count, mean, M2 (sum of squared deviations), min, max per column, in float64.

    Computed block by block (two passes over each block, merged exactly), so the cost
    is a float64 copy of one block, not of ``values``.
    """
    m = empty_moments(values.shape[1])
    for a in range(0, values.shape[0], block):
        v = values[a:a + block].astype(np.float64)
        mean = v.mean(axis=0)
        v -= mean
        np.square(v, out=v)
        part = {"count": v.shape[0], "mean": mean, "m2": v.sum(axis=0),
                "min": values[a:a + block].min(axis=0).astype(np.float64),
                "max": values[a:a + block].max(axis=0).astype(np.float64)}
        m = merge_moments(m, part)
    return m


def merge_moments(a: dict, b: dict) -> dict:
    """Moments of the union of two disjoint sets of steps (Chan, Golub & LeVeque)."""
    na, nb = a["count"], b["count"]
    if nb == 0:
        return a
    if na == 0:
        return b
    n = na + nb
    delta = np.asarray(b["mean"]) - np.asarray(a["mean"])
    return {"count": n, "mean": np.asarray(a["mean"]) + delta * (nb / n),
            "m2": np.asarray(a["m2"]) + np.asarray(b["m2"]) + delta ** 2 * (na * nb / n),
            "min": np.minimum(a["min"], b["min"]), "max": np.maximum(a["max"], b["max"])}


def moments_json(m: dict, names) -> dict:
    """Merged moments ``m`` as the manifest's JSON: one dict per feature name (None where no count)."""
    out = {}
    for j, name in enumerate(names):
        c = int(m["count"])
        out[name] = {"count": c, "mean": float(m["mean"][j]) if c else None,
                     "m2": float(m["m2"][j]) if c else None,
                     "min": float(m["min"][j]) if c else None,
                     "max": float(m["max"][j]) if c else None}
    return out


def length_counts(lengths: np.ndarray) -> np.ndarray:
    """Counts per power-of-two bin: bin 0 holds length 0, bin k >= 1 holds [2**(k-1), 2**k)."""
    L = np.asarray(lengths, dtype=np.int64)
    if not L.size:
        return np.zeros(1, dtype=np.int64)
    bins = np.zeros(L.shape[0], dtype=np.int64)
    pos = L > 0
    bins[pos] = np.floor(np.log2(L[pos])).astype(np.int64) + 1
    return np.bincount(bins)


# --------------------------------------------------------------------------- Arrow tables
def _values_array(values: np.ndarray, offsets: np.ndarray):
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    flat = pa.array(values.reshape(-1))
    inner = pa.FixedSizeListArray.from_arrays(flat, values.shape[1])
    return pa.LargeListArray.from_arrays(pa.array(np.asarray(offsets, dtype=np.int64)), inner)


def _np_to_arrow(a: np.ndarray):
    import pyarrow as pa

    a = np.asarray(a)
    if a.dtype.kind == "U":
        return pa.array(a.tolist(), pa.string())
    if a.dtype.kind == "S":
        return pa.array(a.tolist(), pa.binary())
    if a.dtype.kind == "O":
        return pa.array(a.tolist())
    return pa.array(a)


def sequence_table(seqs: SequenceSet, split=None):
    """A ``SequenceSet`` as a shards table (one row per sequence; see the module docstring).

    ``split``: None, one split name for every sequence, or an array of split names
    (None entries allowed). The values are shared with the set (no copy).
    """
    import pyarrow as pa

    n = len(seqs)
    ids = seqs.ids if seqs.ids is not None else np.arange(n, dtype=np.int64)
    cols = {"id": _np_to_arrow(ids), "values": _values_array(seqs.values, seqs.offsets),
            "length": pa.array(np.asarray(seqs.lengths, dtype=np.int64))}
    if seqs.targets is not None:
        cols["target"] = _np_to_arrow(seqs.targets)
    elif seqs.step_targets is not None:
        cols["targets"] = pa.LargeListArray.from_arrays(
            pa.array(np.asarray(seqs.offsets, dtype=np.int64)), _np_to_arrow(seqs.step_targets))
    if split is None or isinstance(split, str):
        cols["split"] = pa.nulls(n, pa.string()) if split is None else \
            pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)),
                                           pa.array([split])).cast(pa.string())
    else:
        cols["split"] = pa.array(list(split), pa.string())
    return pa.table(cols)


def _table_values(table) -> tuple[np.ndarray, np.ndarray]:
    """(values (N_steps, F), offsets (n+1,)) of a shards table, without copying where possible."""
    s = SequenceSet.from_arrow(table.column("values"))
    return s.values, s.offsets


# --------------------------------------------------------------------------- writing
class ShardWriter:
    """Writes shards tables into a new directory, then publishes it atomically.

    ``add`` takes shards tables (from :func:`sequence_table` or the per-entity
    kernel) in order; rows are grouped by split and written as part files of about
    ``file_bytes`` of values each. ``finish`` numbers the files (train, validation,
    test, unsplit), writes ``manifest.json`` and renames the directory to ``out``.
    """

    def __init__(self, out, *, feature_names, values_dtype="float32", file_bytes: int = FILE_BYTES,
                 rows_per_file: int | None = None, compression: str = "lz4"):
        out = os.fspath(out)
        self.out = out
        self.tmp = os.fspath(temp_dir(os.path.abspath(out)))
        self.features = list(feature_names)
        self.values_dtype = str(np.dtype(values_dtype))
        self.file_bytes = int(file_bytes)
        self.rows_per_file = rows_per_file
        self.compression = compression
        self._pending: dict = {}   # split -> list of tables
        self._pending_bytes: dict = {}
        self._files: list[dict] = []
        self._counts: dict = {}
        self._hist = np.zeros(1, dtype=np.int64)
        self._moments = {s: empty_moments(len(self.features)) for s in (*SPLITS, None)}
        self._n = 0
        self.schema = None

    # -- stats -------------------------------------------------------------------------
    def _account(self, split, table):
        values, offsets = _table_values(table)
        lengths = np.diff(offsets)
        c = self._counts.setdefault(split, [0, 0])
        c[0] += table.num_rows
        c[1] += int(offsets[-1])
        h = length_counts(lengths)
        if h.shape[0] > self._hist.shape[0]:
            h, self._hist = self._hist, h
        self._hist[:h.shape[0]] += h
        self._moments[split] = merge_moments(self._moments[split], moments_of(values))

    def add(self, table) -> None:
        import pyarrow.compute as pc

        if table.num_rows == 0:
            return
        if self.schema is None:
            self.schema = table.schema
        elif table.schema != self.schema:
            table = table.cast(self.schema)
        split_col = table.column("split")
        if split_col.null_count == table.num_rows:
            groups = [(None, table)]
        else:
            groups = []
            for s in pc.unique(split_col).to_pylist():
                mask = pc.is_null(split_col) if s is None else pc.fill_null(pc.equal(split_col, s), False)
                groups.append((s, table.filter(mask)))
        for s, part in groups:
            self._account(s, part)
            self._pending.setdefault(s, []).append(part)
            nbytes = self._pending_bytes.get(s, 0) + part.column("values").nbytes
            self._pending_bytes[s] = nbytes
            rows = sum(t.num_rows for t in self._pending[s])
            if nbytes >= self.file_bytes or (self.rows_per_file and rows >= self.rows_per_file):
                self._flush(s)

    def _flush(self, split) -> None:
        import pyarrow as pa

        parts = self._pending.pop(split, [])
        self._pending_bytes.pop(split, None)
        if not parts:
            return
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        del parts
        step = self.rows_per_file
        if step is None:  # pieces of about file_bytes of values
            nbytes = table.column("values").nbytes
            step = table.num_rows if nbytes <= 1.5 * self.file_bytes else \
                max(1, int(table.num_rows * self.file_bytes / nbytes))
        for a in range(0, table.num_rows, step):
            self._write(split, table.slice(a, step))

    def _write(self, split, table) -> None:
        import pyarrow.parquet as pq

        name = f"tmp-{len(self._files):06d}.parquet"
        path = os.path.join(self.tmp, name)
        pq.write_table(table, path, row_group_size=max(table.num_rows, 1),
                       compression=self.compression,
                       use_dictionary=[c for c in ("id", "split", "target") if c in table.column_names],
                       write_statistics=["id", "length", "split"])
        lengths = table.column("length").to_numpy()
        self._files.append({"tmp": name, "split": split, "sequences": table.num_rows,
                            "steps": int(lengths.sum()), "bytes": os.path.getsize(path)})

    # -- publish -----------------------------------------------------------------------
    def finish(self, manifest: dict, *, force: bool = False) -> dict:
        for s in list(self._pending):
            self._flush(s)
        order = sorted(range(len(self._files)),
                       key=lambda i: (_SPLIT_ORDER[self._files[i]["split"]], i))
        files = []
        for k, i in enumerate(order):
            f = self._files[i]
            name = f"part-{k:05d}.parquet"
            os.replace(os.path.join(self.tmp, f["tmp"]), os.path.join(self.tmp, name))
            files.append({"name": name, **{x: f[x] for x in ("split", "sequences", "steps", "bytes")}})
        splits = [s for s in (*SPLITS, None) if s in self._counts]
        unsplit = splits == [None] or not splits
        counts = {("all" if s is None else s): {"sequences": self._counts[s][0],
                                                  "steps": self._counts[s][1]} for s in splits}
        if unsplit:
            mom = self._moments[None]
        else:
            mom = self._moments["train"]
        m = dict(manifest)
        m.update({
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "seqfeed_version": installed_version(),
            "values_dtype": self.values_dtype,
            "n_sequences": sum(c[0] for c in self._counts.values()),
            "n_steps": sum(c[1] for c in self._counts.values()),
            "counts": counts, "files": files,
            "length_histogram": {"edges": [0] + [2 ** k for k in range(len(self._hist))],
                                 "counts": [int(c) for c in self._hist]},
            "moments": {"split": "all" if unsplit else "train",
                        "features": moments_json(mom, self.features)},
        })
        m.setdefault("features", [{"name": f, "dtype": self.values_dtype} for f in self.features])
        with open(os.path.join(self.tmp, MANIFEST), "w") as fh:
            json.dump(m, fh, indent=1, default=json_default)
            fh.write("\n")
        if os.path.exists(self.out) and not force:
            self.abort()
            raise ConfigError(f"write_shards: {self.out!r} already exists.", argument="out",
                              received=self.out, fix="choose a new output directory, or pass "
                                                     "force=True (--force) to replace it")
        replace_dir(self.tmp, self.out)
        return m

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def json_default(o):
    """``json.dump``'s ``default``: NumPy scalars and arrays as Python values, anything else as str."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def installed_version() -> str:
    """The installed distribution's version, or "unknown" (recorded in manifests)."""
    try:
        from importlib.metadata import version

        return version("seqfeed")
    except Exception:  # pragma: no cover - not installed
        return "unknown"


def task_hint(seqs_or_targets, level: str | None) -> str | None:
    if level == "step":
        return "tag"
    if seqs_or_targets is None:
        return None
    t = np.asarray(seqs_or_targets)
    if t.dtype.kind in "OUSb":
        return "classify"
    if t.dtype.kind in "iu":
        return "classify"
    return "regress"


def check_out(op: str, out, force: bool) -> str:
    if not isinstance(out, (str, os.PathLike)) or not os.fspath(out):
        raise ConfigError(f"{op}: `out` must be a directory path. Received: out={out!r}.",
                          argument="out", received=out)
    out = os.fspath(out)
    if os.path.exists(out):
        if not force:
            raise ConfigError(f"{op}: the output {out!r} already exists.", argument="out",
                              received=out, fix="choose a new directory, or pass force=True "
                                                "(--force) to replace it")
        if not is_shards(out) and not (os.path.isdir(out) and not os.listdir(out)):
            raise ConfigError(f"{op}: {out!r} exists and is not a shards directory; it is not "
                              f"replaced.", argument="out", received=out,
                              fix="choose a new directory, or remove it yourself")
    return out


def write_shards(data: SequenceSet, out, *, rows_per_file: int | None = None, split=None,
                 force: bool = False, compression: str = "lz4") -> dict:
    """Write an in-memory :class:`~seqfeed.SequenceSet` as a shards directory.

    Args:
        data: the sequences (values are stored as their dtype, float32 or float64).
        out: the new directory; it appears whole or not at all.
        rows_per_file: sequences per part file (default: files of about 64 MiB of values).
        split: None (no split), one of ``"train"``, ``"validation"``, ``"test"`` for
            every sequence, or a sequence of such names (or None) per sequence.
        force: replace an existing shards directory at ``out``.
        compression: Parquet compression of the part files (``"lz4"``, the default:
            fast to decode; ``"zstd"``, ``"snappy"``, ``"gzip"``, ``"none"``).

    Returns:
        The manifest (also written to ``out/manifest.json``).

    Example:
        >>> import tempfile, os
        >>> s = SequenceSet.from_sequences([[1.0, 2.0], [3.0]], ids=["a", "b"])
        >>> d = os.path.join(tempfile.mkdtemp(), "shards")
        >>> write_shards(s, d)["counts"]
        {'all': {'sequences': 2, 'steps': 3}}
        >>> r = read_shards(d)
        >>> r.ids.tolist(), r.offsets.tolist(), r.values[:, 0].tolist()
        (['a', 'b'], [0, 2, 3], [1.0, 2.0, 3.0])
    """
    op = "write_shards"
    if not isinstance(data, SequenceSet):
        raise ConfigError(f"{op}: `data` must be a SequenceSet. Received {type(data).__name__}.",
                          argument="data", received=type(data).__name__,
                          fix="build one with seqfeed.sources.read_table or SequenceSet(...)")
    check_int(op, "rows_per_file", rows_per_file, minimum=1, allow_none=True)
    out = check_out(op, out, force)
    if split is not None:
        if isinstance(split, str):
            check_choice(op, "split", split, SPLITS)
        else:
            split = list(split)
            if len(split) != len(data):
                raise ConfigError(f"{op}: `split` has {len(split)} entries for {len(data)} sequences.",
                                  argument="split", received=len(split))
            bad = [i for i, s in enumerate(split) if s is not None and s not in SPLITS]
            if bad:
                raise ConfigError(f"{op}: split[{bad[0]}] is {split[bad[0]]!r}; splits are "
                                  f"{list(SPLITS)} or None.", argument="split", index=bad[0],
                                  received=split[bad[0]])
    check_choice(op, "compression", compression, ("zstd", "lz4", "snappy", "gzip", "none"))
    if data.values.dtype.kind != "f":
        data = data.with_values(data.values.astype(np.float32))
    names = list(data.feature_names) if data.feature_names else \
        [f"x{j}" for j in range(data.n_features)]
    w = ShardWriter(out, feature_names=names, values_dtype=data.values.dtype,
                    rows_per_file=rows_per_file, compression=compression)
    try:
        w.add(sequence_table(data, split))
        target = None
        if data.targets is not None:
            target = {"name": "target", "level": "sequence", "type": str(np.asarray(data.targets).dtype)}
        elif data.step_targets is not None:
            target = {"name": "target", "level": "step",
                      "type": str(np.asarray(data.step_targets).dtype)}
        level = target["level"] if target else None
        manifest = {
            "created_by": {"function": "seqfeed.sources.write_shards",
                           "arguments": {"rows_per_file": rows_per_file,
                                         "split": split if isinstance(split, (str, type(None)))
                                         else "per sequence"},
                           "command": None},
            "columns": {"id": None, "time": None, "target": None},
            "id_type": str(np.asarray(data.ids).dtype) if data.ids is not None else "int64",
            "features": [{"name": f, "dtype": str(data.values.dtype)} for f in names],
            "target": target,
            "task_hint": task_hint(data.targets if level == "sequence" else None, level),
            "split": None if split is None else {"method": "given"},
        }
        return w.finish(manifest, force=force)
    except BaseException:
        w.abort()
        raise


# --------------------------------------------------------------------------- reading
def load_manifest(path, op: str = "read_shards") -> dict:
    """The parsed ``manifest.json`` of a shards directory (checked: format and version)."""
    p = os.path.join(os.fspath(path), MANIFEST)
    if not os.path.isdir(os.fspath(path)):
        raise FileNotFoundError(2, "No such shards directory", os.fspath(path))
    if not os.path.isfile(p):
        raise DataError(f"{op}: {os.fspath(path)!r} has no {MANIFEST}; it is not a shards directory.",
                        argument="path", received=os.fspath(path),
                        fix="make shards with `seqfeed pack` or seqfeed.sources.write_shards")
    try:
        with open(p) as fh:
            m = json.load(fh)
    except (OSError, ValueError) as e:
        raise DataError(f"{op}: cannot read {MANIFEST} in {os.fspath(path)!r} ({e}).",
                        argument="path", received=os.fspath(path)) from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise DataError(f"{op}: {p!r} is not a seqfeed shards manifest (format "
                        f"{m.get('format') if isinstance(m, dict) else None!r}).",
                        argument="path", received=os.fspath(path))
    if int(m.get("format_version", 0)) > FORMAT_VERSION:
        raise DataError(f"{op}: shards format version {m['format_version']} is newer than this "
                        f"seqfeed reads ({FORMAT_VERSION}).", argument="path",
                        received=m["format_version"], fix="upgrade seqfeed")
    return m


def shard_files(path, manifest: dict, split=None) -> list[dict]:
    """The manifest's file entries holding sequences of ``split`` (all for None).

    A file entry whose ``split`` is ``"mixed"`` (or absent) may hold any split; its rows
    are filtered by the ``split`` column when read.
    """
    files = manifest["files"]
    if split is not None:
        files = [f for f in files if f.get("split", MIXED) in (split, MIXED)]
    return files


def column_to_numpy(col) -> np.ndarray:
    """An Arrow column (chunked or not) as NumPy: strings/binary as str/bytes arrays, else numbers."""
    import pyarrow as pa

    from ._arrow_source import is_stringlike, plain

    col = plain(col.combine_chunks() if hasattr(col, "combine_chunks") else col)
    if is_stringlike(col.type):
        vals = col.to_pylist()
        if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            return np.array(vals, dtype=bytes) if vals else np.zeros(0, dtype=bytes)
        return np.array(vals, dtype=str) if vals else np.zeros(0, dtype=str)
    return col.to_numpy(zero_copy_only=False)


def read_shards(source, *, split: str | None = None, columns=None) -> SequenceSet:
    """Read a shards directory (or the part files of one split) into a ``SequenceSet``.

    Args:
        source: a shards directory (``manifest.json`` + ``part-*.parquet``).
        split: None (every sequence, files in manifest order: train, validation, test,
            unsplit), or ``"train"``, ``"validation"``, ``"test"``.
        columns: feature names to keep, in this order (default: every feature). A
            subset is a copy; all features of a single part file share memory with
            Arrow (no copy).

    Returns:
        A ``SequenceSet`` with ``values`` ``(N_steps, F)`` in the stored dtype,
        ``offsets``, ``ids``, ``feature_names`` and ``targets`` (per sequence) or
        ``step_targets`` (per step) when the shards hold them.

    Raises:
        DataError: not a shards directory, a missing or unreadable part file.
        ConfigError: an unknown split or feature name.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    op = "read_shards"
    m = load_manifest(source, op)
    if split is not None:
        check_choice(op, "split", split, SPLITS)
    names = [f["name"] for f in m["features"]]
    sel = None
    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise ConfigError(f"{op}: `columns` must be a list of feature names. Received: "
                              f"columns={columns!r}.", argument="columns", received=columns)
        absent = [c for c in columns if c not in names]
        if absent:
            raise ConfigError(f"{op}: feature(s) {absent} are not in the shards. Features: {names}.",
                              argument="columns", received=absent)
        sel = [names.index(c) for c in columns]
    files = shard_files(source, m, split)
    cols = None  # every column
    tables = []
    for f in files:
        p = os.path.join(os.fspath(source), f["name"])
        try:
            t = pq.read_table(p, memory_map=True, columns=cols)
        except (OSError, pa.ArrowInvalid) as e:
            raise DataError(f"{op}: cannot read part file {f['name']!r} ({e}).", argument="source",
                            received=p, fix="the shards are incomplete or damaged; pack them again") from None
        if split is not None and f.get("split", MIXED) == MIXED:
            import pyarrow.compute as pc

            t = t.filter(pc.fill_null(pc.equal(t.column("split"), split), False))
        tables.append(t)
    dtype = np.dtype(m.get("values_dtype", "float32"))
    F = len(names)
    if len(tables) == 1:
        values, offsets = _table_values(tables[0])
    elif not tables:
        values, offsets = np.zeros((0, F), dtype=dtype), np.zeros(1, dtype=np.int64)
    else:  # one copy into a preallocated array
        total = sum(t.num_rows for t in tables)
        steps = sum(int(pa.compute.sum(t.column("length")).as_py() or 0) for t in tables)
        values = np.empty((steps, F), dtype=dtype)
        offsets = np.zeros(total + 1, dtype=np.int64)
        s0 = r0 = 0
        for t in tables:
            v, o = _table_values(t)
            values[s0:s0 + v.shape[0]] = v
            offsets[r0 + 1:r0 + t.num_rows + 1] = o[1:] + s0
            s0 += v.shape[0]
            r0 += t.num_rows
    if values.ndim == 2 and values.shape[1] != F and values.shape[0]:
        raise DataError(f"{op}: the part files hold {values.shape[1]} features, the manifest names {F}.",
                        argument="source", received=values.shape[1])
    values = values.reshape(-1, F)

    def column(name):
        if not tables or name not in tables[0].column_names:
            return None
        return pa.chunked_array([c for t in tables for c in t.column(name).chunks],
                                type=tables[0].schema.field(name).type)

    ids_col = column("id")
    ids = column_to_numpy(ids_col) if ids_col is not None else None
    targets = step_targets = None
    tcol = column("target")
    if tcol is not None:
        targets = column_to_numpy(tcol)
    scol = column("targets")
    if scol is not None:
        step_targets = column_to_numpy(pa.chunked_array(
            [c.flatten() for c in scol.chunks], type=scol.type.value_type)) if scol.num_chunks \
            else np.zeros(0)
    if sel is not None:
        values = values[:, sel]
        names = [names[j] for j in sel]
    return SequenceSet(values, offsets, targets=targets, step_targets=step_targets, ids=ids,
                       feature_names=names)
