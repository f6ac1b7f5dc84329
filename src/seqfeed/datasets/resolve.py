"""Reading a DATA argument: a file of any supported format, or a bundled dataset by name.

Used by ``seqfeed.keras.train`` and the command line (``inspect``, ``train``, ``evaluate``, ``predict``).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._errors import ConfigError, DataError, SeqfeedError
from ..core import SequenceSet
from ..sources._files import describe_sources, resolve_source


@dataclass
class Loaded:
    """A dataset as it was read, with the reading options recorded with a model."""

    seqs: SequenceSet
    source: str
    options: dict = field(default_factory=dict)
    test: SequenceSet | None = None  # a bundled dataset's own test split
    time: np.ndarray | None = None  # per-step times (forecasting), aligned with seqs.values
    dropped_ids: list = field(default_factory=list)  # ids left out for a missing target


def reading_options(*, id=None, time=None, target=None, features=None, nan=None, duplicates=None,
                    drop_missing_targets=False) -> dict:
    """The options :func:`load` reads a long table with; ``features`` a list or a comma-separated string."""
    if isinstance(features, str):  # "" is no --features; "," is an empty list (an error of read_table)
        features = [f.strip() for f in features.split(",") if f.strip()] if features else None
    return {
        "id": id or "id",
        "time": time or "time",
        "target": target,
        "features": None if features is None else list(features),
        "nan": nan or "error",
        "duplicates": duplicates or "error",
        "missing_targets": "drop" if drop_missing_targets else "error",
    }


def data_options(args) -> dict:
    """:func:`reading_options` from the command line's table flags (``--id`` is ``args.id_col`` ...)."""
    return reading_options(id=getattr(args, "id_col", None), time=getattr(args, "time_col", None),
                           target=getattr(args, "target_col", None), features=getattr(args, "features", None),
                           nan=getattr(args, "nan", None), duplicates=getattr(args, "duplicates", None),
                           drop_missing_targets=getattr(args, "drop_missing_targets", False))


def is_bundled(spec: str) -> bool:
    found = resolve_source(spec)
    return found is not None and found.kind == "bundled"


# ----------------------------------------------------------------------------------- reading guard
_READ_FIX = ("check that the file is complete and not corrupted, and that its extension (.csv, .csv.gz, "
             ".parquet, .npz, .npy, .ts) matches its content")


@contextlib.contextmanager
def reading(spec: str):
    """Turn the low-level errors of a damaged or mis-named data file into a DataError naming it.

    Only errors that a bad *file* causes are converted (I/O, decompression, decoding, Arrow's
    parse errors, NumPy's format errors); anything else is a bug and propagates unchanged.
    """
    try:
        yield
    except SeqfeedError:
        raise
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        raise
    except (EOFError, zlib.error, UnicodeDecodeError, OSError) as e:
        raise DataError(f"seqfeed: cannot read {spec}: {_reason(e)}.", argument="data", received=spec,
                        fix=_READ_FIX) from None
    except Exception as e:
        mod = type(e).__module__ or ""
        text = str(e)
        if mod.startswith("pyarrow"):
            raise DataError(f"seqfeed: cannot read {spec}: {_reason(e)}.", argument="data", received=spec,
                            fix=_READ_FIX) from None
        if isinstance(e, ValueError) and ("allow_pickle" in text or "pickle" in text.lower()):
            raise DataError(f"seqfeed: {spec} holds Python objects (pickled arrays); seqfeed never loads "
                            f"pickles, as they can run code.", argument="data", received=spec,
                            fix="save plain numeric arrays (numpy.savez with float/int arrays)") from None
        if isinstance(e, zipfile.BadZipFile) or _from_numpy_io(e):
            raise DataError(f"seqfeed: cannot read {spec}: {_reason(e)}.", argument="data", received=spec,
                            fix=_READ_FIX) from None
        raise


def _from_numpy_io(e: BaseException) -> bool:
    """True when ``e`` was raised inside the code that decodes a file's bytes: NumPy's .npy/.npz
    format code or the standard zip/gzip modules (a damaged archive, not a bug of ours)."""
    tb = e.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    last = (last or "").replace("\\", "/")
    if last.endswith(("/zipfile.py", "/gzip.py", "/zipfile/__init__.py")):
        return True
    return "/numpy/" in last and any(k in last for k in ("_format_impl", "/format.py", "_npyio_impl", "npyio"))


def _reason(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text[:200].rstrip(".")


def check_magic(path: Path, spec: str, kind: str) -> None:
    with open(path, "rb") as f:
        head = f.read(6)
    if kind == "npz" and not head.startswith(b"PK"):
        what = "a .npy array" if head.startswith(b"\x93NUMPY") else "not a zip archive"
        raise DataError(f"seqfeed: {spec} is not a .npz archive ({what}).", argument="data", received=spec,
                        fix="rename a single array to .npy, or save it with numpy.savez(FILE.npz, values=..., "
                            "offsets=...)")
    if kind == "npy" and not head.startswith(b"\x93NUMPY"):
        what = "a .npz archive" if head.startswith(b"PK") else "not a NumPy array file"
        raise DataError(f"seqfeed: {spec} is not a .npy array ({what}).", argument="data", received=spec,
                        fix="rename an archive to .npz, or save the array with numpy.save(FILE.npy, array)")


# ----------------------------------------------------------------------------------- memory
def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - platform without sysconf
        return None


def _gib(n: float) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.1f} GiB"
    if n >= 2**20:
        return f"{n / 2**20:.0f} MiB"
    return f"{n / 2**10:.0f} KiB" if n >= 2**10 else f"{int(n)} bytes"


def estimate_table_bytes(path: Path, n_columns: int) -> tuple[int, int]:
    """(rows, bytes) a long table needs once read: float32 values plus ~48 bytes per row for the keys,
    the sort and each row's destination. Rows come from Parquet metadata, or from the file size and the
    average line length of the first 64 KiB (for .gz, the uncompressed size in the gzip trailer)."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        rows = int(pq.ParquetFile(path).metadata.num_rows)
    else:
        size = path.stat().st_size
        if name.endswith(".gz"):
            with open(path, "rb") as f:
                f.seek(max(size - 4, 0))
                isize = int.from_bytes(f.read(4), "little")
            size = isize if isize >= size else 6 * size  # the trailer holds the size mod 2**32
            opener = gzip.open
        else:
            opener = open
        with opener(path, "rb") as f:
            sample = f.read(1 << 16)
        per_row = max(len(sample) / max(sample.count(b"\n"), 1), 1.0)
        rows = int(size / per_row)
    return rows, rows * (4 * max(n_columns, 1) + 48)


def check_memory(spec: str, needed: int) -> None:
    avail = available_memory()
    if avail is not None and needed > avail:
        raise DataError(f"seqfeed: {spec} needs about {_gib(needed)} of memory once read; "
                        f"{_gib(avail)} is available.", argument="data", received=spec,
                        fix="use a machine with more memory, read fewer columns with --features, or split "
                            "the data into several files by id")


# ----------------------------------------------------------------------------------- loading
def load(spec: str, *, task: str | None = None, options: dict | None = None) -> Loaded:
    """Read ``spec`` (a path or ``name[:split]`` of a bundled dataset) for ``task``.

    ``options`` may hold ``model_features``: the feature names a trained model expects; the
    data's columns are then matched by name (any order), and a missing one is an error.
    """
    options = dict(options or {})
    found = resolve_source(spec)
    kind = found.kind if found is not None else None
    if kind == "bundled":
        return match_model_features(_load_bundled(spec, task), spec, options)
    path = Path(spec)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or dataset", spec)
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory, not a data file", spec)
    with reading(spec):
        if kind == "ts":
            from ..sources import read_ts

            check_memory(spec, path.stat().st_size)
            return match_model_features(Loaded(read_ts(path), spec, {"format": "ts"}), spec, options)
        if kind == "npz":
            from ..sources import read_npz

            check_magic(path, spec, "npz")
            check_memory(spec, _npz_bytes(path))
            return match_model_features(Loaded(read_npz(path), spec, {"format": "npz"}), spec, options)
        if kind == "npy":
            check_magic(path, spec, "npy")
            check_memory(spec, path.stat().st_size)
            arr = load_npy(path, spec)
            from ..core import as_sequence_set

            return match_model_features(Loaded(as_sequence_set(arr, _op="seqfeed"), spec, {"format": "npy"}),
                                         spec, options)
        if kind in ("csv", "parquet"):
            return _load_table(path, spec, task, options)
    raise ConfigError(f"seqfeed: cannot tell the format of {spec!r} from its name.", argument="data",
                      received=spec, fix=f"use a .npy file, or one of these. {describe_sources()}")


def load_npy(path: Path, spec: str) -> np.ndarray:
    """``np.load`` of a .npy file (no pickles); a damaged header or body is a DataError naming it."""
    import tokenize

    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, SyntaxError, tokenize.TokenError, TypeError, EOFError, MemoryError) as e:
        if "pickle" in str(e).lower():
            raise DataError(f"seqfeed: {spec} holds Python objects (a pickled array); seqfeed never loads "
                            f"pickles, as they can run code.", argument="data", received=spec,
                            fix="save a plain numeric array (numpy.save with a float/int array)") from None
        raise DataError(f"seqfeed: cannot read {spec}: {_reason(e)}.", argument="data", received=spec,
                        fix=_READ_FIX) from None


def _npz_bytes(path: Path) -> int:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise DataError(f"seqfeed: {path} is not a readable .npz archive (damaged zip).", argument="data",
                        received=str(path), fix=_READ_FIX) from None


def table_columns(path: Path, spec: str) -> list[str]:
    """The column names of a CSV/Parquet file (its header only); duplicated names are an error."""
    from ..sources._arrow_source import open_source

    names = list(open_source("seqfeed", path, 1 << 16).schema.names)
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        raise DataError(f"seqfeed: {spec} has duplicated column name(s) {dup}; columns: {names}.",
                        argument="data", received=dup, fix="give every column of the file a distinct name")
    return names


def _expected_features(path, spec, o, names) -> list[str] | None:
    """The feature columns to read: --features, or the names a model was trained on (checked)."""
    expected = o.get("model_features")
    if not expected:
        return o["features"]
    missing = [f for f in expected if f not in names]
    if missing:
        raise DataError(
            f"seqfeed: {spec} has no column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(repr, missing))}; {o.get('features_source') or 'the model was trained on the features'} "
            f"{', '.join(map(repr, expected))} (matched by name, in any order). Columns in the file: {names}.",
            argument="data", received=missing,
            fix="rename the columns of the new data to the names the model was trained on"
            if not o.get("features_source") else "give both files the same feature columns")
    return list(expected)


def _load_table(path: Path, spec: str, task, o: dict) -> Loaded:
    from ..sources import read_table

    names = table_columns(path, spec)
    features = _expected_features(path, spec, o, names)
    roles = {o["id"], o["time"], o["target"]}
    n_cols = len(features) if features else sum(c not in roles for c in names)
    check_memory(spec, estimate_table_bytes(path, n_cols)[1])
    if task == "forecast" or o.get("no_target"):
        # forecasting: the target is a feature whose future is forecast; it stays among the inputs
        if task == "forecast" and features is not None and o["target"] and o["target"] not in features:
            features = features + [o["target"]]
        if o.get("no_target") and features is None and o["target"] in names:
            features = [c for c in _numeric_columns(path) if c not in roles]
        seqs = read_table(path, id=o["id"], time=o["time"], target=None, features=features, nan=o["nan"],
                          duplicates=o.get("duplicates", "error"))
        return Loaded(seqs, spec, {**_saved(o), "format": "table"})
    level = "step" if task == "tag" else "sequence"
    target = o["target"]
    kw = dict(id=o["id"], time=o["time"], target=target, features=features, level=level, nan=o["nan"],
              duplicates=o.get("duplicates", "error"))
    dropped: list = []
    try:
        seqs = read_table(path, **kw)
    except DataError as e:
        if target is None or e.argument != target or not _is_missing_target_error(e):
            raise
        missing = missing_target_ids(path, o["id"], target)
        if not missing:
            raise
        _refuse_missing(spec, target, missing, o)
        seqs = read_table(_table_without_ids(path, o["id"], missing), **kw)
        dropped = missing
    seqs, blank = _drop_blank_labels(seqs, spec, target, o)
    dropped += blank
    loaded = Loaded(seqs, spec, {**_saved(o), "format": "table", "level": level})
    loaded.dropped_ids = dropped
    return loaded


def _saved(o: dict) -> dict:
    """The reading options recorded with a model (not the per-run ones)."""
    return {k: v for k, v in o.items() if k not in ("model_features", "missing_targets", "no_target",
                                                 "features_source")}


def _numeric_columns(path) -> list[str]:
    from ..sources._arrow_source import is_numeric, open_source

    schema = open_source("seqfeed", path, 1 << 16).schema
    return [f.name for f in schema if is_numeric(f.type)]


def _is_missing_target_error(e) -> bool:
    low = str(e).lower()
    return "null" in low or "nan" in low or "missing" in low


def missing_target_ids(path, id_col: str, target: str) -> list:
    """Ids with at least one row whose target is null, NaN or an empty/blank string (in file order)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..sources._arrow_source import open_source, plain

    src = open_source("seqfeed", path, 1 << 18)
    found: dict = {}
    for batch in src.batches([id_col, target]):
        col = plain(batch.column(1))
        bad = col.is_null()
        if pa.types.is_floating(col.type):
            bad = pc.or_(bad, pc.fill_null(pc.is_nan(col), False))
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            bad = pc.or_(bad, pc.fill_null(pc.equal(pc.utf8_trim_whitespace(col), ""), False))
        idx = np.flatnonzero(np.asarray(bad.to_numpy(zero_copy_only=False), dtype=bool))
        for v in plain(batch.column(0)).take(pa.array(idx)).to_pylist():
            found.setdefault(v, None)
    return list(found)


def _table_without_ids(path, id_col, ids):
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..sources._arrow_source import open_source

    src = open_source("seqfeed", path, 1 << 18)
    table = pa.Table.from_batches(list(src.batches(src.schema.names)), schema=src.schema)
    keep = pc.invert(pc.is_in(table.column(id_col), value_set=pa.array(ids)))
    return table.filter(keep)


def id_list(ids, limit: int = 8) -> str:
    shown = ", ".join(repr(i.item() if hasattr(i, "item") else i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _refuse_missing(spec, target, ids, o) -> None:
    if o.get("missing_targets", "error") == "error":
        raise DataError(f"seqfeed: {len(ids)} id{'s' if len(ids) > 1 else ''} in {spec} "
                        f"{'have' if len(ids) > 1 else 'has'} no value in the target column {target!r} "
                        f"(null, NaN or empty): {id_list(ids)}.", argument="target", received=ids[:8],
                        fix="fill those targets, or pass --drop-missing-targets to leave those ids out")


def _drop_blank_labels(seqs, spec, target, o):
    """Empty or blank string labels are missing labels, not a class named ''."""
    if target is None:
        return seqs, []
    if seqs.targets is not None and np.asarray(seqs.targets).dtype.kind in "OUS":
        t = np.asarray(seqs.targets)
        blank = np.array([not str(v).strip() for v in t], dtype=bool)
    elif seqs.step_targets is not None and np.asarray(seqs.step_targets).dtype.kind in "OUS":
        st = np.asarray(seqs.step_targets)
        step_blank = np.array([not str(v).strip() for v in st], dtype=bool)
        blank = np.logical_or.reduceat(step_blank, seqs.offsets[:-1]) if st.size else np.zeros(0, bool)
        blank &= seqs.lengths > 0
    else:
        return seqs, []
    if not blank.any():
        return seqs, []
    ids = list(seqs.ids[blank]) if seqs.ids is not None else list(np.flatnonzero(blank))
    _refuse_missing(spec, target, ids, o)
    return seqs.take(np.flatnonzero(~blank)), ids


def match_model_features(loaded: Loaded, spec: str, o: dict) -> Loaded:
    """Non-table data: reorder the features by the names a model expects, when both have names."""
    loaded.seqs = loaded.seqs.select_features(o.get("model_features") or [], _op=f"seqfeed: {spec}",
                                              _error=DataError)
    return loaded


def _load_bundled(spec: str, task) -> Loaded:
    from ..sources._bundled import japanese_vowels, sunspots

    name, _, split = spec.partition(":")
    if name == "japanese_vowels":
        if split not in ("", "train", "test"):
            raise ConfigError(f"seqfeed: japanese_vowels has splits 'train' and 'test'. Received {split!r}.",
                              argument="data", received=spec)
        train, test = japanese_vowels()
        if split == "test":
            return Loaded(test, spec, {"format": "bundled", "name": name})
        return Loaded(train, spec, {"format": "bundled", "name": name}, test=test if split == "" else None)
    series = sunspots()
    values = np.asarray(series.values, dtype=np.float64).reshape(-1, 1)
    seqs = SequenceSet(values, np.array([0, values.shape[0]]), ids=np.array([series.name]),
                       feature_names=[series.name])
    return Loaded(seqs, spec, {"format": "bundled", "name": name, "target": series.name},
                  time=np.asarray(series.time))


def require_targets(loaded: Loaded, task: str) -> None:
    s = loaded.seqs
    if task in ("classify", "regress") and s.targets is None:
        raise DataError(f"seqfeed: {loaded.source} has no target per sequence.", argument="--target",
                        fix="name the target column with --target COL")
    if task == "tag" and s.step_targets is None:
        raise DataError(f"seqfeed: {loaded.source} has no per-step target.", argument="--target",
                        fix="name the per-step label column with --target COL")


MIN_DISTINCT_FOR_REGRESS = 10


def looks_continuous(targets) -> bool:
    """The rule for "this classification target is really a number to regress on".

    True when the targets are numbers, not all of them whole numbers, with more distinct
    values than half the number of sequences (and at least 10 distinct values): such
    "classes" would each hold about one sequence, so nothing could be learned per class.
    """
    t = np.asarray(targets)
    if t.dtype.kind not in "f" or t.ndim != 1 or not t.size:
        return False
    finite = t[np.isfinite(t)]
    if not finite.size or np.all(finite == np.round(finite)):
        return False
    n_distinct = np.unique(finite).size
    return n_distinct >= MIN_DISTINCT_FOR_REGRESS and n_distinct > 0.5 * t.size


def check_targets(loaded: Loaded, task: str) -> None:
    """Targets that fit ``task``, checked before any training (and before TensorFlow is imported)."""
    require_targets(loaded, task)
    s = loaded.seqs
    col = loaded.options.get("target") or "the target"
    if task in ("classify", "tag"):
        t = np.asarray(s.targets if task == "classify" else s.step_targets)
        classes = np.unique(t)
        if classes.size < 2 and t.size:
            raise DataError(f"seqfeed: target {col!r} of {loaded.source} has a single class "
                            f"({str(classes[0])!r}); a classifier needs at least two.", argument="--target",
                            received=str(classes[0]), fix="check --target, or train on data with two or more classes")
    if task == "classify":
        t = np.asarray(s.targets)
        if looks_continuous(t):
            n = np.unique(t).size
            raise DataError(f"seqfeed: target {col!r} of {loaded.source} holds {n} distinct non-integer numbers "
                            f"for {t.size} sequences: that is a quantity, not {n} classes.",
                            argument="--task", received=n,
                            fix="use --task regress to predict the number")
    if task == "regress":
        t = np.asarray(s.targets)
        if t.dtype.kind not in "fiub":
            example = t.reshape(-1)[0] if t.size else ""
            raise DataError(f"seqfeed: target {col!r} of {loaded.source} holds text (e.g. {str(example)!r}); "
                            f"regression needs numbers.", argument="--task", received=str(example),
                            fix="use --task classify to predict the labels")
