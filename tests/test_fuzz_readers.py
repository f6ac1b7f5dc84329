"""Fuzz tests: generated tables and files, clean or damaged, through every reader.

A generated table is written as CSV, gzipped CSV, Parquet, a pyarrow Table or a pandas
DataFrame, then possibly altered: rows shuffled, duplicate (id, time) rows, NaN/inf,
values too large for float32, a text cell, decimal commas, a repeated header name, CR or
CRLF line endings, an empty or header-only file, truncation, flipped bits, damaged gzip,
a wrong magic number, bytes that are not UTF-8. ``.ts`` and ``.npz`` files get the same
treatment. For every input the reader must raise a ``SeqfeedError`` or return exactly
what a plain-Python reference reading of the generated rows gives (for damaged bytes,
where no reference exists: a well-formed set with no NaN/inf that the ``nan`` option
should have stopped); never another exception, never a changed input.
"""
import gzip
import io
import math
import os
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seqfeed as sf
from strategies import fuzz_call, same

pytestmark = pytest.mark.fuzz
FUZZ_SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.filter_too_much])
F32_MAX = float(np.finfo(np.float32).max)


def _readers():
    from seqfeed.sources import read_npz, read_table, read_ts, write_npz

    return read_table, read_ts, read_npz, write_npz


class Invalid(Exception):
    pass


# --------------------------------------------------------------------------- tables
SEMANTIC = ["none", "none", "shuffle", "dup_time", "nan", "inf", "huge", "text_cell", "decimal_comma",
            "dup_header", "null_id", "nan_target"]
DAMAGE = ["cr", "crlf", "empty", "header_only", "truncate", "bitflip", "gzip_truncate", "gzip_garbage",
          "magic", "latin1"]


@st.composite
def tables(draw):
    n_ids = draw(st.integers(1, 4))
    F = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    str_ids = draw(st.booleans())
    with_target = draw(st.sampled_from([None, "int", "str"]))
    rows = []
    for g in range(n_ids):
        n = draw(st.integers(1, 5))
        times = rng.choice(np.arange(-5, 40), size=n, replace=False)
        label = int(rng.integers(0, 3))
        for t in sorted(times.tolist()):
            feats = [float(np.float32(rng.normal() * 10)) if rng.random() < 0.8 else float(rng.integers(-9, 9))
                     for _ in range(F)]
            rows.append({"id": f"u{g * 7 % 5}{g}" if str_ids else int(g * 3 - 2), "time": int(t),
                         "feats": feats,
                         "target": None if with_target is None else (label if with_target == "int"
                                                                     else f"c{label}")})
    return {"rows": rows, "F": F, "target": with_target, "rng_seed": int(rng.integers(0, 2**31))}


def _fmt(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    return str(v)


def _apply_semantic(tab, mutation, rng):
    rows = [dict(r, feats=list(r["feats"])) for r in tab["rows"]]
    cells = {}  # (row, column name) -> raw text replacing the value in the file
    header = ["id", "time"] + [f"x{j}" for j in range(tab["F"])] + (["y"] if tab["target"] else [])
    k = int(rng.integers(0, len(rows)))
    j = int(rng.integers(0, tab["F"]))
    if mutation == "shuffle":
        rng.shuffle(rows)
    elif mutation == "dup_time":
        r = dict(rows[k], feats=[v + 1.0 for v in rows[k]["feats"]])
        rows.insert(int(rng.integers(0, len(rows) + 1)), r)
    elif mutation in ("nan", "inf", "huge"):
        rows[k]["feats"][j] = {"nan": math.nan, "inf": -math.inf, "huge": 3e39}[mutation]
    elif mutation == "text_cell" and len(rows) > 1:  # (a column of text only is skipped, as a label)
        cells[(k, f"x{j}")] = "abc"
    elif mutation == "decimal_comma":
        for i, r in enumerate(rows):
            cells[(i, f"x{j}")] = '"' + _fmt(r["feats"][j]).replace(".", ",") + '"'
    elif mutation == "dup_header":
        header[2 + j] = "time" if rng.random() < 0.5 else ("x0" if j else "id")
    elif mutation == "null_id":
        cells[(k, "id")] = ""
    elif mutation == "nan_target" and tab["target"] == "int":
        cells[(k, "y")] = "nan"
    return rows, cells, header


def _csv_bytes(tab, rows, cells, header, newline=b"\n"):
    lines = [",".join(header)]
    for i, r in enumerate(rows):
        vals = {"id": _fmt(r["id"]), "time": _fmt(r["time"]), "y": _fmt(r["target"])}
        vals.update({f"x{j}": _fmt(v) for j, v in enumerate(r["feats"])})
        names = ["id", "time"] + [f"x{j}" for j in range(tab["F"])] + (["y"] if tab["target"] else [])
        lines.append(",".join(cells.get((i, c), vals[c]) for c in names))
    return newline.join(s.encode() for s in lines) + newline


def _arrow_table(tab, rows, cells, header):
    """The same rows as typed Arrow columns (text cells make the column a string column)."""
    cols = {}
    cols["id"] = pa.array([None if (i, "id") in cells else r["id"] for i, r in enumerate(rows)])
    cols["time"] = pa.array([r["time"] for r in rows], pa.int64())
    for j in range(tab["F"]):
        name = f"x{j}"
        if any((i, name) in cells for i in range(len(rows))):
            cols[name] = pa.array([cells.get((i, name), _fmt(r["feats"][j])).strip('"') for i, r in enumerate(rows)])
        else:
            cols[name] = pa.array([r["feats"][j] for r in rows], pa.float64())
    if tab["target"]:
        ys = [None if (i, "y") in cells else r["target"] for i, r in enumerate(rows)]
        cols["y"] = pa.array([math.nan if v is None and tab["target"] == "int" else v for v in ys])
    names = list(cols)
    arrays = [cols[c] for c in names]
    return pa.Table.from_arrays(arrays, names=[header[k] if k < len(header) else c for k, c in enumerate(names)])


def ref_read_table(tab, rows, cells, header, *, nan, duplicates, dtype, source_kind):
    """Plain-Python reading of the generated rows, as read_table documents it."""
    if len(set(header)) != len(header):
        raise Invalid("duplicate column names")
    if any(c[1] == "id" for c in cells):
        raise Invalid("null id")
    if any(c[1] == "y" for c in cells):
        raise Invalid("NaN target")
    if any(c[1].startswith("x") for c in cells):
        raise Invalid("text or decimal comma in a feature column")
    dt = np.dtype(dtype)
    feats = [list(r["feats"]) for r in rows]
    keep = list(range(len(rows)))
    if nan == "drop":
        keep = [i for i in keep if all(math.isfinite(v) for v in feats[i])]
    for i in keep:
        for v in feats[i]:
            if dt == np.float32 and math.isfinite(v) and abs(v) > F32_MAX:
                raise Invalid("overflows float32")
    if nan == "zero":
        feats = [[v if math.isfinite(v) else 0.0 for v in f] for f in feats]
    if nan == "error" and any(not math.isfinite(v) for i in keep for v in feats[i]):
        raise Invalid("NaN/inf with nan='error'")
    groups = {}
    for i in keep:
        groups.setdefault(rows[i]["id"], []).append(i)
    ids = sorted(groups)
    values, lengths, targets = [], [], []
    for g in ids:
        members = sorted(groups[g], key=lambda i: (rows[i]["time"], i))  # stable by time
        merged = []
        for i in members:
            if merged and rows[merged[-1][0]]["time"] == rows[i]["time"]:
                if duplicates == "error":
                    raise Invalid("duplicate (id, time)")
                merged[-1].append(i)
            else:
                merged.append([i])
        steps = []
        for grp in merged:
            if duplicates == "first":
                steps.append(np.array(feats[grp[0]], dtype=np.float64))
            elif duplicates == "last":
                steps.append(np.array(feats[grp[-1]], dtype=np.float64))
            else:
                steps.append(np.mean([feats[i] for i in grp], axis=0))
        if nan == "ffill":
            for t, st_ in enumerate(steps):
                for c in range(len(st_)):
                    if not math.isfinite(st_[c]):
                        if t == 0:
                            raise Invalid("nothing to carry forward")
                        st_[c] = steps[t - 1][c]
        values.extend(steps)
        lengths.append(len(steps))
        targets.append(rows[members[0]]["target"])
    vals = np.array(values, dtype=np.float64).reshape(-1, tab["F"]).astype(dt)
    return ids, lengths, vals, targets


def check_table_result(s, ref, tab, duplicates):
    ids, lengths, vals, targets = ref
    assert isinstance(s, sf.SequenceSet)
    assert s.ids.tolist() == ids, (s.ids.tolist(), ids)
    assert s.lengths.tolist() == lengths
    assert s.feature_names == tuple(f"x{j}" for j in range(tab["F"]))
    got = np.asarray(s.values)
    assert got.dtype == vals.dtype and got.shape == vals.shape
    if duplicates == "mean":
        assert np.allclose(got, vals, rtol=1e-6, atol=1e-6, equal_nan=True)
    else:
        assert same(got, vals), "values differ from the reference reading"
    if tab["target"]:
        assert s.targets.tolist() == targets


def check_well_formed(s, nan):
    """What must hold for any result, even from damaged bytes."""
    assert isinstance(s, sf.SequenceSet)
    off = np.asarray(s.offsets)
    assert off[0] == 0 and (np.diff(off) >= 0).all() and off[-1] == s.n_steps
    if nan in ("error", "zero", "ffill", "drop"):
        assert np.isfinite(np.asarray(s.values)).all(), "NaN/inf got through nan=" + nan
    if s.ids is not None:
        assert len(set(s.ids.tolist())) == len(s), "an id appears twice"


def _damage(data: bytes, kind: str, rng) -> bytes:
    if kind == "empty":
        return b""
    if kind == "truncate":
        return data[:int(rng.integers(0, max(len(data), 1)))]
    if kind == "bitflip":
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            if b:
                b[int(rng.integers(0, len(b)))] ^= 1 << int(rng.integers(0, 8))
        return bytes(b)
    if kind == "magic":
        return b"XXXX" + data[4:]
    if kind == "latin1":
        k = int(rng.integers(0, max(len(data), 1)))
        return data[:k] + b"\xe9\xff" + data[k:]
    return data


@FUZZ_SETTINGS
@given(tab=tables(), fmt=st.sampled_from(["csv", "csv.gz", "parquet", "table", "pandas"]),
       mutation=st.sampled_from(SEMANTIC + DAMAGE), nan=st.sampled_from(["error", "drop", "zero", "ffill"]),
       duplicates=st.sampled_from(["error", "first", "last", "mean"]),
       dtype=st.sampled_from(["float32", "float32", "float64"]))
def test_read_table(tab, fmt, mutation, nan, duplicates, dtype):
    read_table = _readers()[0]
    rng = np.random.default_rng(tab["rng_seed"])
    semantic = mutation in SEMANTIC
    rows, cells, header = _apply_semantic(tab, mutation if semantic else "none", rng)
    target = "y" if tab["target"] else None
    if fmt in ("table", "pandas"):
        if not semantic:
            return  # byte damage applies to files
        table = _arrow_table(tab, rows, cells, header)
        source = table.to_pandas() if fmt == "pandas" else table
        if fmt == "pandas" and len(set(header)) != len(header):
            return  # pandas itself refuses to build such a frame from Arrow
        inputs = [source]
        run = lambda: read_table(source, target=target, nan=nan, duplicates=duplicates, dtype=dtype)  # noqa: E731
        _check_read(run, inputs, tab, rows, cells, header, nan, duplicates, dtype, fmt, semantic=True)
        return
    with tempfile.TemporaryDirectory() as d:
        newline = {"cr": b"\r", "crlf": b"\r\n"}.get(mutation, b"\n")
        if fmt == "parquet":
            if mutation in ("cr", "crlf", "latin1", "header_only", "gzip_truncate", "gzip_garbage"):
                return
            buf = io.BytesIO()
            pq.write_table(_arrow_table(tab, rows, cells, header), buf)
            data = buf.getvalue()
        else:
            data = _csv_bytes(tab, rows, cells, header, newline)
            if mutation == "header_only":
                data = data.split(newline)[0] + newline
        if fmt == "csv.gz":
            data = gzip.compress(data)
            if mutation == "gzip_truncate":
                data = data[:int(rng.integers(0, len(data)))]
            elif mutation == "gzip_garbage":
                data = data[:10] + bytes(rng.integers(0, 256, size=30, dtype=np.uint8)) + data[40:]
        elif mutation in ("gzip_truncate", "gzip_garbage"):
            return
        data = _damage(data, mutation, rng)
        path = os.path.join(d, "t." + fmt)
        with open(path, "wb") as f:
            f.write(data)
        run = lambda: read_table(path, target=target, nan=nan, duplicates=duplicates, dtype=dtype)  # noqa: E731
        exact = semantic or mutation in ("cr", "crlf")
        if mutation in ("empty", "header_only"):
            fuzz_call(run, expect_error="no rows")
            return
        _check_read(run, [], tab, rows, cells, header, nan, duplicates, dtype, fmt, semantic=exact)
        with open(path, "rb") as f:
            assert f.read() == data, "the reader changed the file"


def _check_read(run, inputs, tab, rows, cells, header, nan, duplicates, dtype, fmt, semantic):
    if not semantic:
        fuzz_call(run, inputs=inputs, verify=lambda s: check_well_formed(s, nan), exact=False)
        return
    try:
        ref, why = ref_read_table(tab, rows, cells, header, nan=nan, duplicates=duplicates, dtype=dtype,
                                  source_kind=fmt), None
    except Invalid as e:
        ref, why = None, str(e)
    fuzz_call(run, inputs=inputs, verify=lambda s: check_table_result(s, ref, tab, duplicates),
              expect_error=why)


@FUZZ_SETTINGS
@given(n=st.integers(1, 6), big=st.booleans(), seed=st.integers(0, 2**31))
def test_read_table_uint64_times(n, big, seed):
    read_table = _readers()[0]
    rng = np.random.default_rng(seed)
    base = 2**63 if big else 0
    times = (rng.choice(np.arange(2**20), size=n, replace=False).astype(np.uint64)
             + np.uint64(base) - np.uint64(2**19 if big else 0))
    t = pa.table({"id": np.zeros(n, np.int64), "time": pa.array(times, pa.uint64()), "x": np.arange(n, dtype=np.float64)})
    order = np.argsort(times, kind="stable")
    fuzz_call(lambda: read_table(t), inputs=[t],
              verify=lambda s: np.testing.assert_array_equal(s.values[:, 0], np.arange(n)[order].astype(np.float32)))


# --------------------------------------------------------------------------- .ts
@st.composite
def ts_files(draw):
    n = draw(st.integers(0, 5))
    D = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    labels = draw(st.sampled_from(["class", "target", None]))
    cases = []
    for _ in range(n):
        T = draw(st.integers(1, 6))
        vals = (rng.normal(size=(D, T)) * 5).astype(np.float32).astype(np.float64)
        missing = rng.random((D, T)) < 0.1
        lab = f"c{int(rng.integers(0, 3))}" if labels == "class" else repr(float(rng.normal()))
        cases.append((vals, missing, lab))
    return {"D": D, "labels": labels, "cases": cases, "seed": int(rng.integers(0, 2**31))}


def _ts_text(f, mutation, rng):
    head = ["@problemName fuzz", f"@dimensions {f['D']}", "@univariate " + ("true" if f["D"] == 1 else "false")]
    if f["labels"] == "class":
        head.append("@classLabel true c0 c1 c2")
    elif f["labels"] == "target":
        head.append("@targetLabel true")
    head.append("@data")
    lines = []
    for k, (vals, missing, lab) in enumerate(f["cases"]):
        dims = [",".join("?" if missing[d, t] else repr(float(vals[d, t])) for t in range(vals.shape[1]))
                for d in range(vals.shape[0])]
        if mutation == "uneven" and k == 0 and f["D"] > 1:
            dims[1] += ",1.0"
        if mutation == "wrong_dims" and k == 0:
            dims = dims + ["1.0"]
        if mutation == "text_value" and k == 0:
            dims[0] = "abc," + dims[0]
        if mutation == "huge" and k == 0:
            dims[0] = "5e39," + dims[0]
        if mutation == "undeclared_label" and k == 0 and f["labels"] == "class":
            lab = "zz"
        lines.append(":".join(dims) + (":" + lab if f["labels"] else ""))
    return "\n".join(head + lines) + "\n"


def ref_read_ts(f, mutation, dtype):
    if mutation in ("uneven", "wrong_dims", "text_value") and f["cases"]:
        if mutation != "uneven" or f["D"] > 1:
            raise Invalid(mutation)
    if mutation == "undeclared_label" and f["cases"] and f["labels"] == "class":
        raise Invalid("label not declared")
    if mutation == "huge" and f["cases"] and dtype == "float32":
        raise Invalid("overflows float32")
    seqs, labs = [], []
    for k, (vals, missing, lab) in enumerate(f["cases"]):
        v = np.where(missing, np.nan, vals).T
        if mutation == "huge" and k == 0:
            v = np.vstack([np.r_[5e39, np.zeros(f["D"] - 1)][None, :] if f["D"] == 1 else
                           np.r_[5e39, np.full(f["D"] - 1, np.nan)][None, :], v])
        seqs.append(v.astype(dtype))
        labs.append(lab)
    return seqs, labs


TS_MUTATIONS = ["none", "none", "cr", "crlf", "uneven", "wrong_dims", "text_value", "huge", "undeclared_label",
                "truncate", "bitflip", "latin1", "gzip", "gzip_truncate", "empty"]


@FUZZ_SETTINGS
@given(f=ts_files(), mutation=st.sampled_from(TS_MUTATIONS), dtype=st.sampled_from(["float32", "float64"]),
       as_file_object=st.booleans())
def test_read_ts(f, mutation, dtype, as_file_object):
    read_ts = _readers()[1]
    rng = np.random.default_rng(f["seed"])
    text = _ts_text(f, mutation, rng)
    if mutation == "huge" and f["D"] > 1:
        return  # the extra value would make the case uneven; covered with D == 1
    data = text.encode()
    if mutation == "cr":
        data = data.replace(b"\n", b"\r")
    elif mutation == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif mutation in ("gzip", "gzip_truncate"):
        data = gzip.compress(data)
        if mutation == "gzip_truncate":
            data = data[:int(rng.integers(0, len(data)))]
    else:
        data = _damage(data, mutation, rng)
    exact = mutation in ("none", "cr", "crlf", "gzip", "uneven", "wrong_dims", "text_value", "huge",
                         "undeclared_label")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "a.ts")
        with open(path, "wb") as fh:
            fh.write(data)
        run = (lambda: read_ts(io.BytesIO(data), dtype=dtype)) if as_file_object else \
            (lambda: read_ts(path, dtype=dtype))
        if not exact:
            fuzz_call(run, verify=lambda s: check_well_formed(s, None), exact=False)
            return
        try:
            ref, why = ref_read_ts(f, mutation, dtype), None
        except Invalid as e:
            ref, why = None, str(e)

        def verify(s):
            seqs, labs = ref
            assert len(s) == len(seqs) and s.n_features == f["D"]
            for i, v in enumerate(seqs):
                assert same(np.asarray(s[i]), v), f"case {i} differs"
            if f["labels"] == "class":
                assert s.targets.tolist() == labs
            elif f["labels"] == "target":
                assert s.targets.tolist() == [float(x) for x in labs]

        fuzz_call(run, verify=verify, expect_error=why)


# --------------------------------------------------------------------------- .npz
NPZ_MUTATIONS = ["none", "none", "compress", "truncate", "bitflip", "npy", "pickle", "missing_offsets",
                 "bad_offsets", "str_values", "names_2d", "empty", "extra_key"]


@FUZZ_SETTINGS
@given(lengths=st.lists(st.integers(0, 5), max_size=5), F=st.integers(1, 3),
       with_targets=st.sampled_from([None, "int", "str"]), mutation=st.sampled_from(NPZ_MUTATIONS),
       seed=st.integers(0, 2**31))
def test_read_npz(lengths, F, with_targets, mutation, seed):
    _, _, read_npz, write_npz = _readers()
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(L, F)) for L in lengths]
    targets = None if with_targets is None else (np.arange(len(seqs)) if with_targets == "int"
                                                 else np.array([f"t{i}" for i in range(len(seqs))]))
    s = sf.SequenceSet.from_sequences(seqs, targets=targets, feature_names=[f"f{j}" for j in range(F)]) \
        if seqs else sf.SequenceSet(np.zeros((0, F)), np.zeros(1, np.int64))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.npz")
        arrays = {"values": np.asarray(s.values), "offsets": np.asarray(s.offsets)}
        if mutation in ("none", "compress", "truncate", "bitflip"):
            write_npz(s, path, compress=mutation == "compress")
            with open(path, "rb") as fh:
                data = _damage(fh.read(), mutation, rng)
            with open(path, "wb") as fh:
                fh.write(data)
        elif mutation == "npy":
            with open(path, "wb") as fh:
                np.save(fh, arrays["values"])
        elif mutation == "empty":
            open(path, "wb").close()
        else:
            if mutation == "pickle":
                arrays["targets"] = np.array([{"a": 1}] * len(s), dtype=object)
            elif mutation == "missing_offsets":
                del arrays["offsets"]
            elif mutation == "bad_offsets":
                arrays["offsets"] = arrays["offsets"][::-1].copy()
            elif mutation == "str_values":
                arrays["values"] = arrays["values"].astype(str)
            elif mutation == "names_2d":
                arrays["feature_names"] = np.array([[f"f{j}" for j in range(F)]])
            elif mutation == "extra_key":
                arrays["unrelated"] = np.arange(3)
            np.savez(path, **arrays)
        valid = mutation in ("none", "compress", "extra_key") or (mutation == "bad_offsets" and np.array_equal(
            np.asarray(s.offsets)[::-1], np.asarray(s.offsets)))

        def verify(r):
            if mutation in ("truncate", "bitflip"):
                check_well_formed(r, None)
                return
            assert same(np.asarray(r.values), np.asarray(s.values))
            assert r.offsets.tolist() == s.offsets.tolist()
            if mutation in ("none", "compress") and with_targets and len(s):
                assert r.targets.tolist() == s.targets.tolist()

        fuzz_call(lambda: read_npz(path), verify=verify,
                  expect_error=None if valid or mutation in ("truncate", "bitflip") else mutation,
                  exact=mutation not in ("truncate", "bitflip"))
