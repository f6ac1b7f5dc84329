"""seqfeed pack: long files -> shards equal to read_table, for both engines, under small chunks."""

import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqfeed import ConfigError, DataError
from seqfeed.sources import pack, read, read_shards, read_table
from seqfeed.sources._entity_kernel import entity_split, pack_entities, parse_split
from seqfeed.sources._pack import parse_memory

ENGINES = ["duckdb", "arrow"]


def _long_table(seed, *, n_ids, max_len, F, str_ids, target, nan_rate=0.0, dup_rate=0.0):
    rng = np.random.default_rng(seed)
    L = rng.integers(1, max_len + 1, n_ids)
    idv = rng.permutation(n_ids * 7)[:n_ids] - 3
    ids = np.repeat(idv, L)
    times = np.concatenate([rng.permutation(int(k)) * 10 for k in L])
    if dup_rate:
        d = rng.random(ids.size) < dup_rate
        times = np.where(d, times // 20 * 10, times)  # some (id, time) pairs repeat
    x = rng.normal(size=(ids.size, F)).astype(np.float32)
    if nan_rate:
        x[rng.random(x.shape) < nan_rate] = np.nan
    cols = {"id": [f"s{v}" for v in ids] if str_ids else ids, "time": times}
    for j in range(F):
        cols[f"x{j}"] = x[:, j]
    if target:
        cols["y"] = np.repeat(rng.integers(0, 3, n_ids), L)
    t = pa.table(cols)
    return t.take(pa.array(rng.permutation(t.num_rows)))


def _write_files(t, d, n_files, fmt):
    os.makedirs(d, exist_ok=True)
    parts = np.array_split(np.arange(t.num_rows), n_files)
    for k, ix in enumerate(parts):
        part = t.take(pa.array(ix, pa.int64()))
        if fmt == "parquet":
            pq.write_table(part, os.path.join(d, f"part{k:02d}.parquet"), row_group_size=7)
        else:
            pacsv.write_csv(part, os.path.join(d, f"part{k:02d}.csv"))
    return d


def _same(a, b):
    assert np.array_equal(a.ids, b.ids)
    assert np.array_equal(a.offsets, b.offsets)
    assert np.array_equal(a.values, b.values, equal_nan=True)
    for name in ("targets", "step_targets"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None)
        if x is not None:
            assert np.array_equal(x, y)


@settings(max_examples=12)
@given(seed=st.integers(0, 2**31 - 1), n_ids=st.integers(1, 25), max_len=st.integers(1, 12),
       F=st.integers(1, 3), str_ids=st.booleans(), target=st.booleans(),
       n_files=st.integers(1, 4), fmt=st.sampled_from(["parquet", "csv"]),
       chunk_rows=st.integers(1, 40))
def test_pack_gives_the_sequence_set_of_read_table(tmp_path_factory, seed, n_ids, max_len, F,
                                                   str_ids, target, n_files, fmt, chunk_rows):
    d = tmp_path_factory.mktemp("p")
    t = _long_table(seed, n_ids=n_ids, max_len=max_len, F=F, str_ids=str_ids, target=target)
    data = _write_files(t, str(d / "in"), n_files, fmt)
    ref = read_table(t, target="y" if target else None)
    for engine in ENGINES:
        out = str(d / f"out-{engine}")
        m = pack(data, target="y" if target else None, out=out, engine=engine, chunk_rows=chunk_rows,
                 progress=False, file_bytes=64)
        _same(read_shards(out), ref)
        assert m["created_by"]["engine"] == engine
        assert m["n_sequences"] == len(ref) and m["n_steps"] == ref.n_steps
        if engine == "arrow" and t.num_rows > 3 * chunk_rows and len(ref) > 3:
            assert m["created_by"]["chunks"] > 1  # several partitions were forced


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("nan,duplicates", [("drop", "first"), ("zero", "last"), ("ffill", "mean"),
                                            ("drop", "mean")])
def test_nan_and_duplicate_policies_match_read_table(tmp_path, engine, nan, duplicates):
    t = _long_table(5, n_ids=30, max_len=15, F=2, str_ids=False, target=False, nan_rate=0.08,
                    dup_rate=0.2)
    data = _write_files(t, str(tmp_path / "in"), 3, "parquet")
    try:
        ref = read_table(t, nan=nan, duplicates=duplicates)
    except DataError as e:  # ffill of a leading NaN: both must refuse the same way
        with pytest.raises(DataError, match=r"^pack: ") as got:
            pack(data, out=str(tmp_path / "o"), engine=engine, nan=nan, duplicates=duplicates,
                 chunk_rows=25, progress=False)
        assert got.value.argument == e.argument
        return
    pack(data, out=str(tmp_path / "o"), engine=engine, nan=nan, duplicates=duplicates, chunk_rows=25,
         progress=False)
    _same(read(str(tmp_path / "o")), ref)


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_rows_raise_read_table_errors_naming_file_and_row(tmp_path, engine):
    t = pa.table({"id": [1, 1, 2, 2, 3], "time": [0, 1, 0, 1, 0], "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    pq.write_table(t.slice(0, 2), tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": [2, 2, 3], "time": [0, 0, 0], "x": [3.0, 4.0, np.nan]}),
                   tmp_path / "b.parquet")
    with pytest.raises(DataError, match=r"^pack: column 'time' repeats 0 for id 2 at row 1 of "
                                        r"'b.parquet' \(first at row 0 of 'b.parquet'\)") as e:
        pack(str(tmp_path), out=str(tmp_path / "o"), engine=engine, progress=False, nan="zero")
    assert (e.value.argument, e.value.column) == ("duplicates", "time") and e.value.index == 3 and e.value.fix
    with pytest.raises(DataError, match=r"^pack: feature column 'x' holds NaN .* at row 2 of "
                                        r"'b.parquet' \(id 3\)"):
        pack(str(tmp_path), out=str(tmp_path / "o"), engine=engine, progress=False,
             duplicates="first")
    assert sorted(os.listdir(tmp_path)) == ["a.parquet", "b.parquet"]  # nothing half-written left


def test_bad_options_and_inputs_raise_before_reading(tmp_path):
    t = _long_table(1, n_ids=3, max_len=4, F=1, str_ids=False, target=False)
    data = _write_files(t, str(tmp_path / "in"), 2, "parquet")
    out = str(tmp_path / "o")
    cases = [
        (dict(memory="lots"), ConfigError, r"`memory` must be a size"),
        (dict(memory="1MiB"), ConfigError, r"`memory` must be at least 64MiB"),
        (dict(split="random:0.2"), ConfigError, r"`split` must start with 'entity:' or 'time:'"),
        (dict(split="entity:1.5"), ConfigError, r"one or two fractions"),
        (dict(split="time:"), ConfigError, r"needs a cutoff"),
        (dict(split="time:soon"), ConfigError, r"cutoff 'soon' cannot be read"),
        (dict(nan="fill"), ConfigError, r"nan"),
        (dict(engine="spark"), ConfigError, r"engine"),
        (dict(features=["nope"]), ConfigError, r"column 'nope' \(option `features`\) is not in the table"),
        (dict(target="x0", features=["x0"]), ConfigError, r"target column 'x0' is also listed"),
    ]
    for kw, err, msg in cases:
        with pytest.raises(err, match=msg):
            pack(data, out=out, progress=False, **kw)
        assert not os.path.exists(out)
    with pytest.raises(DataError, match=r"matches no"):
        pack(str(tmp_path / "in" / "*.csv"), out=out, progress=False)
    with pytest.raises(FileNotFoundError):
        pack(str(tmp_path / "missing.parquet"), out=out, progress=False)
    pq.write_table(pa.table({"id": ["a"], "time": [0], "x0": [1.0]}), tmp_path / "in" / "z.parquet")
    with pytest.raises(DataError, match=r"column 'id' is int64 in 'part00.parquet' but string in "
                                        r"'z.parquet'"):
        pack(data, out=out, progress=False)
    pq.write_table(pa.table({"id": [1], "x0": [1.0]}), tmp_path / "in" / "z.parquet")
    with pytest.raises(ConfigError, match=r"column 'time' is not in 'z.parquet'"):
        pack(data, out=out, progress=False)
    os.remove(tmp_path / "in" / "z.parquet")
    pack(data, out=out, progress=False)
    with pytest.raises(ConfigError, match=r"already exists"):
        pack(data, out=out, progress=False)
    pack(data, out=out, progress=False, force=True, split="entity:0.5")
    assert json.loads(open(os.path.join(out, "manifest.json")).read())["split"]["method"] == "entity"
    assert sorted(os.listdir(tmp_path)) == ["in", "o"]


@pytest.mark.parametrize("engine", ENGINES)
def test_entity_split_is_deterministic_and_puts_each_id_in_one_split(tmp_path, engine):
    t = _long_table(2, n_ids=400, max_len=5, F=2, str_ids=True, target=True)
    data = _write_files(t, str(tmp_path / "in"), 4, "parquet")
    ms = [pack(data, target="y", out=str(tmp_path / f"o{k}"), engine=engine, split="entity:0.1,0.2",
               chunk_rows=c, progress=False) for k, c in enumerate((50, 100000))]
    parts = {}
    for name in ("train", "validation", "test"):
        a = read_shards(str(tmp_path / "o0"), split=name)
        _same(a, read_shards(str(tmp_path / "o1"), split=name))
        parts[name] = set(a.ids.tolist())
        assert np.array_equal(a.ids, np.sort(a.ids))
    assert parts["train"].isdisjoint(parts["test"]) and parts["train"].isdisjoint(parts["validation"])
    assert parts["test"].isdisjoint(parts["validation"])
    everything = read_table(t, target="y")
    assert set().union(*parts.values()) == set(everything.ids.tolist())
    assert 0.1 < len(parts["test"]) / 400 < 0.3 and 0.03 < len(parts["validation"]) / 400 < 0.17
    names = entity_split(everything.ids, 0.1, 0.2)  # a pure function of the id
    assert {i for i, n in zip(everything.ids, names) if n == "test"} == parts["test"]
    assert ms[0]["counts"]["test"]["sequences"] == len(parts["test"])
    train = read_shards(str(tmp_path / "o0"), split="train")
    v = np.asarray(train.values, dtype=np.float64)
    for j, f in enumerate(("x0", "x1")):
        mo = ms[0]["moments"]["features"][f]
        assert mo["count"] == v.shape[0]
        np.testing.assert_allclose(mo["mean"], v[:, j].mean(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(mo["m2"] / mo["count"], v[:, j].var(), rtol=1e-9)
    assert ms[0]["task_hint"] == "classify"


def test_time_split_cuts_each_entity_at_the_cutoff(tmp_path):
    t = _long_table(4, n_ids=20, max_len=12, F=1, str_ids=False, target=False)
    data = _write_files(t, str(tmp_path / "in"), 2, "csv")
    pack(data, out=str(tmp_path / "o"), split="time:50", chunk_rows=30, progress=False)
    tc = t.column("time").to_numpy()
    _same(read_shards(str(tmp_path / "o"), split="train"), read_table(t.filter(pa.array(tc < 50))))
    _same(read_shards(str(tmp_path / "o"), split="test"), read_table(t.filter(pa.array(tc >= 50))))


def test_kernel_is_pure_arrow_and_keeps_the_id_type():
    t = pa.table({"id": ["b", "a", "b", "a"], "time": [2, 1, 1, 2], "x": [4.0, 2.0, 3.0, 1.0],
                  "y": ["u", "v", "u", "v"]})
    out = pack_entities(t, id="id", time="time", features=["x"], target="y")
    assert out.column_names == ["id", "values", "length", "target", "split"]
    assert out.to_pydict() == {"id": ["a", "b"], "values": [[[2.0], [1.0]], [[3.0], [4.0]]],
                               "length": [2, 2], "target": ["v", "u"], "split": [None, None]}
    vt = out.schema.field("values").type
    assert pa.types.is_large_list(vt) and pa.types.is_fixed_size_list(vt.value_type)
    assert vt.value_type.list_size == 1 and vt.value_type.value_type == pa.float32()
    step = pack_entities(t, id="id", time="time", features=["x"], target="y", level="step")
    assert step.column("targets").to_pylist() == [["v", "v"], ["u", "u"]]


def test_parse_memory_and_split():
    assert parse_memory("1GiB") == 1 << 30 and parse_memory("512MiB") == 512 << 20
    assert parse_memory("2GB") == 2 * 10 ** 9 and parse_memory(1 << 27) == 1 << 27
    assert parse_split("entity:0.2").test == 0.2 and parse_split("entity:0.2").validation == 0.0
    assert parse_split("entity:0.1,0.3").validation == 0.1
    assert parse_split("time:2024-06-01").cutoff == "2024-06-01"


def test_cli_pack_writes_shards_then_refuses_to_overwrite(tmp_path, capsys):
    from seqfeed.cli import main

    t = _long_table(6, n_ids=10, max_len=6, F=2, str_ids=False, target=True)
    data = _write_files(t, str(tmp_path / "in"), 2, "parquet")
    argv = ["pack", os.path.join(data, "*.parquet"), "--target", "y", "--out", str(tmp_path / "sh"),
            "--quiet", "--split", "entity:0.3"]
    assert main(argv) == 0
    assert "seqfeed pack: wrote" in capsys.readouterr().out
    m = json.loads((tmp_path / "sh" / "manifest.json").read_text())
    assert m["created_by"]["command"].startswith("seqfeed pack ")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "hint:" in err
    assert main(argv + ["--force"]) == 0
    ref = read_table(t, target="y")
    got = read_shards(str(tmp_path / "sh"))
    assert sorted(got.ids.tolist()) == ref.ids.tolist()


def test_an_error_while_duckdb_reads_the_stream_keeps_its_type(tmp_path, monkeypatch):
    from seqfeed.sources import _pack

    t = _long_table(7, n_ids=5, max_len=5, F=1, str_ids=False, target=False)
    data = _write_files(t, str(tmp_path / "in"), 2, "parquet")
    real = _pack._Inputs.batches

    def failing(self, schema, with_row=True):
        for k, b in enumerate(real(self, schema, with_row)):
            if k == 1:
                raise DataError("pack: cannot parse 'part01.parquet'", argument="source", received="part01.parquet",
                                fix="re-write the file")
            yield b

    monkeypatch.setattr(_pack._Inputs, "batches", failing)
    with pytest.raises(DataError, match=r"^pack: cannot parse 'part01.parquet'"):
        pack(data, out=str(tmp_path / "o"), engine="duckdb", progress=False)
    assert sorted(os.listdir(tmp_path)) == ["in"]


def test_duckdb_running_out_of_memory_is_a_named_error(tmp_path, monkeypatch):
    import duckdb

    from seqfeed.sources import _pack

    t = _long_table(8, n_ids=5, max_len=5, F=1, str_ids=False, target=False)
    data = _write_files(t, str(tmp_path / "in"), 1, "parquet")

    def oom(*args, **kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")

    monkeypatch.setattr(_pack, "_duckdb_reader", oom)
    with pytest.raises(ConfigError, match=r"^pack: DuckDB ran out of memory sorting the rows") as e:
        pack(data, out=str(tmp_path / "o"), engine="duckdb", progress=False)
    assert e.value.argument == "memory" and "engine='arrow'" in e.value.fix
    assert sorted(os.listdir(tmp_path)) == ["in"]


@pytest.mark.parametrize("ids", [[7, 7], ["a", "a"]])
def test_an_empty_csv_file_does_not_decide_column_types(tmp_path, ids):
    (tmp_path / "in").mkdir()
    pacsv.write_csv(pa.table({"id": ids, "time": [1, 0], "x": [1.0, 2.0]}), tmp_path / "in" / "a.csv")
    (tmp_path / "in" / "b.csv").write_text('"id","time","x"\n')
    pack(str(tmp_path / "in"), out=str(tmp_path / "o"), progress=False)
    r = read_shards(str(tmp_path / "o"))
    assert r.ids.tolist() == ids[:1] and r.values[:, 0].tolist() == [2.0, 1.0]
