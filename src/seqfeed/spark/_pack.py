"""Sequence shards from a Spark DataFrame: the per-entity kernel in ``groupBy(id).applyInArrow``.

``pack`` turns a long DataFrame (one row per time step) into one row per sequence
with the shards schema, by running :func:`seqfeed.sources._entity_kernel.pack_entities`
-- the kernel ``seqfeed pack`` runs -- on every entity's rows. ``write_shards``
writes those rows as part files on shared storage from the executors, aggregates
counts, the length histogram and the per-feature moments on the cluster, and
publishes the directory with its manifest in one rename, so its output reads the
same as ``seqfeed pack``'s on the same input.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np

from .._errors import ConfigError, DataError
from .._fs import replace_dir, temp_dir

__all__ = ["pack", "write_shards"]

OP = "seqfeed.spark.pack"
_SPLIT_RANK = {"train": 0, "validation": 1, "test": 2}


def _pyspark():
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import types as T
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("seqfeed.spark needs PySpark >= 4.0: pip install 'seqfeed[spark]'") from e
    return T


def _numeric(dt, T) -> bool:
    return isinstance(dt, (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType,
                           T.DecimalType, T.BooleanType))


def pack(source, *, id: str = "id", time: str | None = "time", features=None, target: str | None = None,
         split=None, level: str = "sequence", nan: str = "error", duplicates: str = "error",
         dtype="float32"):
    """A Spark DataFrame of sequences (the shards schema) from a long DataFrame.

    Args:
        source: a ``pyspark.sql.DataFrame`` with one row per time step.
        id, time, features, target, split, level, nan, duplicates, dtype: as in
            :func:`seqfeed.sources.pack` (``features`` default: every other numeric column).

    Returns:
        A lazy DataFrame with columns ``id`` (the id column's type), ``values``
        (``array<array<float>>``, or ``double`` with ``dtype="float64"``), ``length``
        (long), ``target`` or ``targets`` (per step) when a target is given, and
        ``split`` (string, null without a split); one row per sequence, computed by
        ``source.groupBy(id).applyInArrow`` with the per-entity kernel of ``seqfeed pack``.
    """
    T = _pyspark()
    from ..sources._entity_kernel import parse_split
    from ..sources._table import check_options

    opts = check_options(id, time, target, features, level, nan, duplicates, True, None, dtype, 1 << 16)
    sp = parse_split(split, OP)
    fields = {f.name: f.dataType for f in source.schema.fields}
    for role, col in (("id", id), ("time", time), ("target", target)):
        if col is not None and col not in fields:
            raise ConfigError(f"{OP}: the {role} column {col!r} is not in the DataFrame (columns: "
                              f"{', '.join(fields)}).", argument=role, received=col,
                              fix=f"pass {role}= one of the DataFrame's columns")
    if features is None:
        features = [c for c, t in fields.items() if c not in (id, time, target) and _numeric(t, T)]
    else:
        features = [features] if isinstance(features, str) else list(features)
    missing = [c for c in features if c not in fields]
    if missing or not features:
        raise ConfigError(f"{OP}: feature column(s) {missing or '(none)'} are not numeric columns of the "
                          f"DataFrame.", argument="features", received=missing,
                          fix="pass features=[...] naming numeric columns")
    if sp is not None and sp.method == "time" and time is None:
        raise ConfigError(f"{OP}: a time split needs a time column. Received: time=None.", argument="split",
                          received=split, fix="name the time column, or use split='entity:FRACTION'")
    vt = T.FloatType() if str(opts["dtype"]) == "float32" else T.DoubleType()
    out_fields = [T.StructField("id", fields[id]), T.StructField("values", T.ArrayType(T.ArrayType(vt))),
                  T.StructField("length", T.LongType())]
    if target is not None:
        tt = fields[target]
        out_fields.append(T.StructField("target", tt) if level == "sequence" else
                          T.StructField("targets", T.ArrayType(tt)))
    out_fields.append(T.StructField("split", T.StringType()))
    schema = T.StructType(out_fields)
    run = _Kernel(id=id, time=time, features=features, target=target, level=level, nan=nan,
                  duplicates=duplicates, dtype=str(opts["dtype"]), split=split,
                  names=[f.name for f in out_fields])

    def kernel(table):  # one entity's rows; Spark reads this signature (no key argument)
        return run(table)

    cols = [c for c in dict.fromkeys([id, time, target, *features]) if c is not None]
    sdf = source.select(*cols).groupBy(id).applyInArrow(kernel, schema)
    from pyspark.sql.pandas.types import to_arrow_type

    arrow = {c: to_arrow_type(fields[c]) for c in cols}
    sdf._seqfeed = {"features": features, "manifest": {
        "created_by": {"function": "seqfeed.spark.pack",
                       "arguments": {"id": id, "time": time, "features": features, "target": target,
                                     "split": split, "nan": nan, "duplicates": duplicates, "level": level,
                                     "dtype": str(opts["dtype"])}, "command": None},
        "columns": {"id": id, "time": time, "target": target},
        "id_type": str(arrow[id]),
        "features": [{"name": f, "dtype": str(arrow[f])} for f in features],
        "target": None if target is None else {"name": target, "level": level, "type": str(arrow[target])},
        "task_hint": _task_hint(arrow[target] if target is not None else None, level),
        "split": None if sp is None else sp.describe(),
    }}
    return sdf


def _task_hint(t, level):
    from ..sources._pack import arrow_task_hint as hint

    return hint(t, level)


class _Kernel:
    """The per-entity kernel with its options, as run by ``applyInArrow`` (picklable)."""

    def __init__(self, **options):
        self.names = options.pop("names")
        self.options = options

    def __call__(self, table):
        from ..sources._entity_kernel import pack_entities

        o = self.options
        out = pack_entities(table, id=o["id"], time=o["time"], features=o["features"], target=o["target"],
                            level=o["level"], nan=o["nan"], duplicates=o["duplicates"], dtype=o["dtype"],
                            split=o["split"])
        if out is None:  # every row dropped (NaN policy)
            return _empty(self.names, table, o)
        return _to_spark_arrow(out, table.schema.field(o["id"]).type, o)


def _value_type(o):
    import pyarrow as pa

    return pa.float32() if o["dtype"] == "float32" else pa.float64()


def _empty(names, table, o):
    import pyarrow as pa

    types = {"id": table.schema.field(o["id"]).type, "values": pa.list_(pa.list_(_value_type(o))),
             "length": pa.int64(), "split": pa.string()}
    if o["target"] is not None:
        tt = table.schema.field(o["target"]).type
        types["target" if o["level"] == "sequence" else "targets"] = tt if o["level"] == "sequence" \
            else pa.list_(tt)
    return pa.table({n: pa.array([], type=types[n]) for n in names})


def _to_spark_arrow(t, id_type, o):
    """Kernel output -> Spark's Arrow types (``list`` instead of ``large_list``/``fixed_size_list``)."""
    import pyarrow as pa

    vt = _value_type(o)
    vals = t.column("values").combine_chunks()
    F = vals.type.value_type.list_size
    inner = pa.ListArray.from_arrays(pa.array(np.arange(0, len(vals.values) * F + 1, F, dtype=np.int32)),
                                     vals.values.values.cast(vt)) if len(vals.values) else \
        pa.array([], type=pa.list_(vt))
    offsets = np.asarray(vals.offsets, dtype=np.int64)
    cols = {"id": t.column("id").cast(id_type), "values": pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)), inner), "length": t.column("length")}
    if "target" in t.column_names:
        cols["target"] = t.column("target")
    if "targets" in t.column_names:
        col = t.column("targets").combine_chunks()
        cols["targets"] = pa.ListArray.from_arrays(pa.array(np.asarray(col.offsets, dtype=np.int64)
                                                            .astype(np.int32)), col.values)
    cols["split"] = t.column("split").cast(pa.string())
    return pa.table(cols)


# ------------------------------------------------------------------------------ writing
class _PartWriter:
    """Executor side of ``write_shards``: one partition's rows -> part files + their statistics."""

    def __init__(self, tmp: str, n_features: int, dtype: str, file_rows: int, compression: str):
        self.tmp, self.F, self.dtype = tmp, n_features, dtype
        self.file_rows, self.compression = file_rows, compression

    def __call__(self, batches):
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
        from pyspark import TaskContext

        from ..sources._shards import length_counts, empty_moments, moments_of

        part = TaskContext.get().partitionId()
        groups: dict = {}
        for rb in batches:
            if rb.num_rows == 0:
                continue
            t = pa.Table.from_batches([rb])
            s = t.column("split")
            for name in pc.unique(s).to_pylist():
                mask = pc.is_null(s) if name is None else pc.fill_null(pc.equal(s, name), False)
                groups.setdefault(name, []).append(t.filter(mask))
        stats = []
        vt = pa.float32() if self.dtype == "float32" else pa.float64()
        for name, tables in groups.items():
            t = pa.concat_tables(tables).combine_chunks()
            for k, a in enumerate(range(0, t.num_rows, self.file_rows)):
                chunk = t.slice(a, self.file_rows)
                shard = _to_shards_table(chunk, self.F, vt)
                fname = f"spark-{part:05d}-{_SPLIT_RANK.get(name, 3)}-{k:05d}.parquet"
                pq.write_table(shard, os.path.join(self.tmp, fname), row_group_size=max(shard.num_rows, 1),
                               compression=self.compression,
                               use_dictionary=[c for c in ("id", "split", "target") if c in shard.column_names],
                               write_statistics=["id", "length", "split"])
                vals = shard.column("values").combine_chunks()
                values = vals.values.values.to_numpy(zero_copy_only=False).reshape(-1, self.F)
                lengths = shard.column("length").to_numpy()
                m = moments_of(values) if values.shape[0] else empty_moments(self.F)
                stats.append({"file": fname, "partition": part, "split": name, "k": k,
                              "sequences": shard.num_rows, "steps": int(lengths.sum()),
                              "bytes": os.path.getsize(os.path.join(self.tmp, fname)),
                              "hist": json.dumps([int(x) for x in length_counts(lengths)]),
                              "moments": json.dumps({key: np.asarray(v).tolist() if key != "count" else int(v)
                                                     for key, v in m.items()})})
        yield pa.RecordBatch.from_pylist(stats, schema=_stats_schema())


def _stats_schema():
    import pyarrow as pa

    return pa.schema([("file", pa.string()), ("partition", pa.int64()), ("split", pa.string()),
                      ("k", pa.int64()), ("sequences", pa.int64()), ("steps", pa.int64()),
                      ("bytes", pa.int64()), ("hist", pa.string()), ("moments", pa.string())])


def _to_shards_table(t, F: int, vt):
    """Spark rows (``array<array<float>>``) -> the shards table (``large_list<fixed_size_list>``)."""
    import pyarrow as pa

    vals = t.column("values").combine_chunks()
    flat = vals.values.values.cast(vt)
    inner = pa.FixedSizeListArray.from_arrays(flat, F)
    values = pa.LargeListArray.from_arrays(pa.array(np.asarray(vals.offsets, dtype=np.int64)), inner)
    cols = {"id": t.column("id"), "values": values, "length": t.column("length").cast(pa.int64())}
    if "target" in t.column_names:
        cols["target"] = t.column("target")
    if "targets" in t.column_names:
        col = t.column("targets").combine_chunks()
        cols["targets"] = pa.LargeListArray.from_arrays(pa.array(np.asarray(col.offsets, dtype=np.int64)),
                                                        col.values)
    cols["split"] = t.column("split")
    return pa.table(cols)


def write_shards(data, out, *, features=None, rows_per_file: int = 100_000, compression: str = "lz4",
                 force: bool = False, manifest: dict | None = None) -> dict:
    """Write the output of :func:`pack` as a shards directory (part files + ``manifest.json``).

    Rows are sorted by split then id (as ``seqfeed pack`` writes them); each Spark
    partition writes its part files to a temporary directory next to ``out`` from the
    executors (``out`` must be on storage every executor and the driver share). The
    counts, length histogram and per-feature moments (over the training split, or
    every step when unsplit) are computed per part file on the executors and merged
    exactly (Chan et al.) on the driver; the directory is then renamed into place.

    Args:
        data: a DataFrame from :func:`pack`.
        out: the new shards directory (appears whole or not at all).
        features: the feature names (default: ``pack``'s, recorded on ``data``).
        rows_per_file: sequences per part file at most.
        compression: Parquet compression of the part files.
        force: replace an existing shards directory.
        manifest: extra manifest entries (``created_by``, ``columns``, ...).

    Returns:
        The manifest.
    """
    _pyspark()
    from pyspark.sql import functions as Fn

    from ..sources._shards import FORMAT, FORMAT_VERSION, MANIFEST, SPLITS, json_default, moments_json, \
        installed_version, check_out, empty_moments, merge_moments

    info = dict(getattr(data, "_seqfeed", {}) or {})
    features = list(features or info.get("features") or [])
    if not features:
        raise ConfigError("seqfeed.spark.write_shards: the feature names are unknown.", argument="features",
                          fix="pass features=[...] (the pack() features, in order)")
    if not isinstance(rows_per_file, int) or isinstance(rows_per_file, bool) or rows_per_file < 1:
        raise ConfigError(f"seqfeed.spark.write_shards: `rows_per_file` must be an integer >= 1. Received: "
                          f"rows_per_file={rows_per_file!r}.", argument="rows_per_file", received=rows_per_file)
    out = check_out("seqfeed.spark.write_shards", out, force)
    vtype = data.schema["values"].dataType.elementType.elementType.typeName()
    dtype = "float32" if vtype == "float" else "float64"
    tmp = os.fspath(temp_dir(os.path.abspath(out)))
    try:
        rank = Fn.when(Fn.col("split") == "train", 0).when(Fn.col("split") == "validation", 1) \
            .when(Fn.col("split") == "test", 2).otherwise(3)
        ordered = data.withColumn("_rank", rank).orderBy("_rank", "id").drop("_rank")
        writer = _PartWriter(tmp, len(features), dtype, rows_per_file, compression)
        from pyspark.sql import types as T

        stats_schema = T.StructType([T.StructField(n, T.StringType() if n in ("file", "split", "hist", "moments")
                                                   else T.LongType()) for n in _stats_schema().names])
        rows = [r.asDict() for r in ordered.mapInArrow(writer, stats_schema).collect()]
        rows.sort(key=lambda r: (_SPLIT_RANK.get(r["split"], 3), r["partition"], r["k"]))
        files, counts, hist = [], {}, np.zeros(1, dtype=np.int64)
        moments = {}
        for k, r in enumerate(rows):
            name = f"part-{k:05d}.parquet"
            os.replace(os.path.join(tmp, r["file"]), os.path.join(tmp, name))
            files.append({"name": name, "split": r["split"], "sequences": r["sequences"], "steps": r["steps"],
                          "bytes": r["bytes"]})
            c = counts.setdefault(r["split"], [0, 0])
            c[0] += r["sequences"]
            c[1] += r["steps"]
            h = np.asarray(json.loads(r["hist"]), dtype=np.int64)
            if h.size > hist.size:
                h, hist = hist, h
            hist[:h.size] += h
            m = {key: (np.asarray(v, dtype=np.float64) if key != "count" else int(v))
                 for key, v in json.loads(r["moments"]).items()}
            moments[r["split"]] = merge_moments(moments.get(r["split"], empty_moments(len(features))), m)
        if not rows:
            raise DataError("seqfeed.spark.write_shards: the DataFrame holds no sequence.", argument="data",
                            fix="check the input rows and the NaN policy")
        splits = [s for s in (*SPLITS, None) if s in counts]
        unsplit = splits == [None]
        mom = moments[None] if unsplit else moments.get("train", empty_moments(len(features)))
        m = dict(info.get("manifest") or {})
        m.update(manifest or {})
        m.update({
            "format": FORMAT, "format_version": FORMAT_VERSION, "seqfeed_version": installed_version(),
            "values_dtype": dtype,
            "n_sequences": sum(c[0] for c in counts.values()), "n_steps": sum(c[1] for c in counts.values()),
            "counts": {("all" if s is None else s): {"sequences": counts[s][0], "steps": counts[s][1]}
                       for s in splits},
            "files": files,
            "length_histogram": {"edges": [0] + [2 ** k for k in range(len(hist))],
                                 "counts": [int(c) for c in hist]},
            "moments": {"split": "all" if unsplit else "train", "features": moments_json(mom, features)},
        })
        m.setdefault("features", [{"name": f, "dtype": dtype} for f in features])
        with open(os.path.join(tmp, MANIFEST), "w") as fh:
            json.dump(m, fh, indent=1, default=json_default)
            fh.write("\n")
        replace_dir(tmp, out)
        return m
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
