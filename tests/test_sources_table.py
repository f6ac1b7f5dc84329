import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqfeed import ConfigError, DataError, SeqfeedWarning, SequenceSet
from seqfeed.sources import read_table, write_long_csv


def long_table(seqs, ids, *, targets=None, rng=None, shuffle=True, time_step=3, time_base=100):
    """A long table (dict of columns) for sequences ``seqs`` (each (T_i, F)), rows shuffled."""
    F = seqs[0].shape[1]
    lengths = [len(s) for s in seqs]
    cols = {
        "id": np.repeat(np.asarray(ids), lengths),
        "time": np.concatenate([time_base + time_step * np.arange(n) for n in lengths]).astype(np.int64),
    }
    values = np.concatenate(seqs)
    for j in range(F):
        cols[f"x{j}"] = values[:, j]
    if targets is not None:
        cols["y"] = np.repeat(np.asarray(targets), lengths)
    if shuffle:
        rng = rng or np.random.default_rng(0)
        p = rng.permutation(len(cols["id"]))
        cols = {k: v[p] for k, v in cols.items()}
    return cols


def make_seqs(rng, n, F=3, max_len=6, dtype=np.float32):
    return [rng.standard_normal((int(rng.integers(1, max_len + 1)), F)).astype(dtype) for _ in range(n)]


def assert_same(s: SequenceSet, seqs, ids, targets=None):
    order = np.argsort(np.asarray(ids), kind="stable")
    assert s.ids.tolist() == np.asarray(ids)[order].tolist()
    assert s.lengths.tolist() == [len(seqs[i]) for i in order]
    for k, i in enumerate(order):
        np.testing.assert_array_equal(s[k], seqs[i])
    if targets is not None:
        assert s.targets.tolist() == np.asarray(targets)[order].tolist()


@pytest.fixture
def data(rng):
    seqs = make_seqs(rng, 7)
    ids = ["s%d" % i for i in (5, 2, 9, 0, 3, 7, 1)]
    targets = [1, 0, 1, 1, 0, 0, 1]
    return seqs, ids, targets


# --------------------------------------------------------------------------- round trips
def test_csv_roundtrip_with_write_long_csv(tmp_path, data):
    seqs, ids, targets = data
    s0 = SequenceSet.from_sequences(seqs, ids=ids, targets=targets, feature_names=["a", "b", "c"])
    path = tmp_path / "long.csv"
    write_long_csv(s0, path)
    header = path.read_text().splitlines()[0]
    assert header.replace('"', "") == "id,time,a,b,c,target"
    s = read_table(path, target="target", id_order="appearance")
    assert s.ids.tolist() == ids
    assert s.feature_names == ("a", "b", "c")
    np.testing.assert_array_equal(s.values, s0.values)  # float32 written with round-trip digits
    np.testing.assert_array_equal(s.offsets, s0.offsets)
    assert s.targets.tolist() == targets and s.values.dtype == np.float32


def test_csv_gz_roundtrip_and_step_targets(tmp_path, rng):
    seqs = make_seqs(rng, 4, F=2)
    steps = [rng.integers(0, 3, len(q)) for q in seqs]
    s0 = SequenceSet.from_sequences(seqs, ids=[10, 11, 12, 13], step_targets=steps)
    path = tmp_path / "long.csv.gz"
    write_long_csv(s0, path, step_target="tag")
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    s = read_table(path, target="tag", level="step")
    assert s.ids.tolist() == [10, 11, 12, 13] and s.ids.dtype == np.int64
    np.testing.assert_array_equal(s.values, s0.values)
    np.testing.assert_array_equal(s.step_targets, np.concatenate(steps))
    assert s.targets is None


def test_parquet_many_row_groups_and_shuffled_rows(tmp_path, rng):
    seqs = make_seqs(rng, 60, F=4, max_len=30)
    ids = rng.permutation(1000)[:60]
    targets = rng.integers(0, 5, 60)
    table = pa.table(long_table(seqs, ids, targets=targets, rng=rng))
    path = tmp_path / "long.parquet"
    pq.write_table(table, path, row_group_size=97)
    assert pq.ParquetFile(path).num_row_groups > 5
    s = read_table(path, target="y", chunk_rows=50)
    assert_same(s, seqs, ids, targets)
    assert s.feature_names == ("x0", "x1", "x2", "x3")
    # the same rows in another order give the same set
    again = read_table(table.take(pa.array(rng.permutation(table.num_rows))), target="y")
    np.testing.assert_array_equal(again.values, s.values)
    np.testing.assert_array_equal(again.offsets, s.offsets)
    np.testing.assert_array_equal(again.ids, s.ids)


def test_pandas_dataframe_and_pq_suffix(tmp_path, data):
    pd = pytest.importorskip("pandas")
    seqs, ids, targets = data
    df = pd.DataFrame(long_table(seqs, ids, targets=targets))
    before = df.copy()
    s = read_table(df, target="y")
    assert_same(s, seqs, ids, targets)
    pd.testing.assert_frame_equal(df, before)  # the input is not changed
    df.to_parquet(tmp_path / "t.pq")
    s2 = read_table(tmp_path / "t.pq", target="y")
    np.testing.assert_array_equal(s2.values, s.values)
    # an id kept as a named index is still found; categorical ids work
    s3 = read_table(df.set_index("id"), target="y")
    np.testing.assert_array_equal(s3.values, s.values)
    s4 = read_table(df.astype({"id": "category"}), target="y")
    np.testing.assert_array_equal(s4.values, s.values)
    assert s4.ids.tolist() == s.ids.tolist()


def test_string_ids_across_batches_keep_one_code_space(rng):
    seqs = make_seqs(rng, 30, F=1, max_len=8)
    ids = [f"id{i:02d}" for i in rng.permutation(30)]
    t = pa.table(long_table(seqs, ids, rng=rng))
    s = read_table(t, chunk_rows=7)  # ids first seen in different batches
    assert_same(s, seqs, ids)


@given(st.data())
def test_any_row_order_gives_the_same_sequences(data):
    seed = data.draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = data.draw(st.integers(1, 12))
    seqs = make_seqs(rng, n, F=data.draw(st.integers(1, 3)), max_len=9)
    int_ids = data.draw(st.booleans())
    ids = rng.permutation(10**6)[:n] if int_ids else np.array([f"k{v}" for v in rng.permutation(50)[:n]])
    step = data.draw(st.sampled_from([1, 7, 10**9]))
    t = pa.table(long_table(seqs, ids, rng=rng, time_step=step, time_base=data.draw(
        st.sampled_from([0, -50, 2**40]))))
    s = read_table(t, chunk_rows=data.draw(st.integers(1, 20)))
    assert_same(s, seqs, ids)
    assert s.values.dtype == np.float32


def test_time_order_not_row_order():
    t = pa.table({"id": [1, 1, 1, 2, 2], "time": [30, 10, 20, 5, 1], "v": [3.0, 1.0, 2.0, 5.0, 4.0]})
    s = read_table(t)
    assert s.values[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert s.offsets.tolist() == [0, 3, 5]


def test_timestamps_with_time_zone_and_dates(tmp_path):
    import datetime as dt

    stamps = [dt.datetime(2024, 1, 2, 8, tzinfo=dt.timezone.utc), dt.datetime(2024, 1, 1, 23, tzinfo=dt.timezone.utc),
              dt.datetime(2024, 1, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=-5)))]  # 14:00 UTC
    t = pa.table({"id": ["a", "a", "a"], "time": pa.array(stamps, pa.timestamp("us", tz="UTC")),
                  "v": [3.0, 2.0, 1.0]})
    assert read_table(t).values[:, 0].tolist() == [1.0, 2.0, 3.0]
    days = pa.table({"id": [0, 0], "time": pa.array([dt.date(2020, 5, 2), dt.date(2020, 5, 1)]),
                     "v": [2.0, 1.0]})
    assert read_table(days).values[:, 0].tolist() == [1.0, 2.0]
    # a CSV with ISO timestamps is parsed as timestamps, and nanosecond spacing works
    path = tmp_path / "ts.csv"
    path.write_text("id,time,v\nb,2024-03-01T00:00:00.000000002,2\nb,2024-03-01T00:00:00.000000001,1\n"
                    "a,2024-03-01T00:00:00,7\n")
    s = read_table(path)
    assert s.ids.tolist() == ["a", "b"] and s.values[:, 0].tolist() == [7.0, 1.0, 2.0]


def test_float_time_and_wide_time_ranges():
    t = pa.table({"id": [0, 0, 0, 1], "time": [0.5, -1.25, 0.25, 3.0], "v": [3.0, 1.0, 2.0, 4.0]})
    assert read_table(t).values[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0]
    big = np.array([2**62, -(2**62), 0, 5], dtype=np.int64)  # span needs 63 bits
    t = pa.table({"id": [1, 1, 1, 2], "time": big, "v": [3.0, 1.0, 2.0, 4.0]})
    assert read_table(t).values[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_no_time_column_keeps_input_order_within_id():
    t = pa.table({"id": ["b", "a", "b", "a"], "v": [1.0, 2.0, 3.0, 4.0]})
    s = read_table(t, time=None)
    assert s.ids.tolist() == ["a", "b"] and s.values[:, 0].tolist() == [2.0, 4.0, 1.0, 3.0]
    s = read_table(t, time=None, id_order="appearance")
    assert s.ids.tolist() == ["b", "a"] and s.values[:, 0].tolist() == [1.0, 3.0, 2.0, 4.0]


def test_sparse_integer_ids_and_appearance_order():
    ids = [10**15, -7, 10**15, 42]
    t = pa.table({"id": ids, "time": [1, 0, 0, 0], "v": [2.0, 3.0, 1.0, 4.0]})
    s = read_table(t)
    assert s.ids.tolist() == [-7, 42, 10**15] and s.values[:, 0].tolist() == [3.0, 4.0, 1.0, 2.0]
    s = read_table(t, id_order="appearance")
    assert s.ids.tolist() == [10**15, -7, 42] and s.values[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_sort_false_reads_grouped_input_in_place():
    t = pa.table({"id": ["b", "b", "a"], "time": [1, 2, 0], "v": [1.0, 2.0, 3.0]})
    s = read_table(t, sort=False)
    assert s.ids.tolist() == ["b", "a"] and s.values[:, 0].tolist() == [1.0, 2.0, 3.0]


def test_features_dtype_and_level_step():
    t = pa.table({"id": [0, 0, 1], "time": [0, 1, 0], "a": pa.array([1, 2, 3], pa.int16()),
                  "b": [0.5, 1.5, 2.5], "flag": [True, False, True], "tag": ["x", "y", "x"]})
    s = read_table(t, features=["b", "a"], dtype="float64", target="tag", level="step")
    assert s.feature_names == ("b", "a") and s.values.dtype == np.float64
    assert s.values.tolist() == [[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]]
    assert s.step_targets.tolist() == ["x", "y", "x"] and s.step_targets.dtype.kind == "U"
    s = read_table(t, target="tag", level="step")
    assert s.feature_names == ("a", "b", "flag")  # bools are numbers


def test_default_features_skip_strings_with_warning():
    t = pa.table({"id": [0, 0], "time": [0, 1], "v": [1.0, 2.0], "note": ["p", "q"]})
    with pytest.warns(SeqfeedWarning, match=r"skipping non-numeric column\(s\) \['note'\]; features are \['v'\]"):
        s = read_table(t)
    assert s.feature_names == ("v",)


def test_empty_table():
    t = pa.table({"id": pa.array([], pa.int64()), "time": pa.array([], pa.int64()),
                  "v": pa.array([], pa.float64())})
    s = read_table(t)
    assert len(s) == 0 and s.values.shape == (0, 1)


# --------------------------------------------------------------------------- nan options
def nan_table():
    return pa.table({"id": ["a", "a", "a", "b", "b"], "time": [2, 0, 1, 1, 0],
                     "u": [3.0, 1.0, np.nan, 5.0, 4.0], "w": [30.0, 10.0, 20.0, None, 40.0]})


def test_nan_error_names_column_id_and_row():
    with pytest.raises(DataError, match=r"^read_table: feature column 'u' holds NaN \(or a missing value\) "
                                        r"at row 2 \(id 'a'\)\. Received nan='error'\. Fix: pass nan='drop'"):
        read_table(nan_table())
    t = pa.table({"id": [1, 1], "time": [0, 1], "u": [1.0, -np.inf]})
    with pytest.raises(DataError, match=r"^read_table: feature column 'u' holds -inf at row 1 \(id 1\)"):
        read_table(t)


def test_nan_drop_ffill_zero():
    s = read_table(nan_table(), nan="drop")
    assert s.values.tolist() == [[1.0, 10.0], [3.0, 30.0], [4.0, 40.0]] and s.lengths.tolist() == [2, 1]
    s = read_table(nan_table(), nan="ffill")
    assert s.values.tolist() == [[1.0, 10.0], [1.0, 20.0], [3.0, 30.0], [4.0, 40.0], [5.0, 40.0]]
    s = read_table(nan_table(), nan="zero")
    assert s.values.tolist() == [[1.0, 10.0], [0.0, 20.0], [3.0, 30.0], [4.0, 40.0], [5.0, 0.0]]


def test_nan_drop_removes_an_id_without_rows():
    t = pa.table({"id": [0, 1, 1], "time": [0, 0, 1], "u": [np.nan, 1.0, 2.0]})
    s = read_table(t, nan="drop")
    assert s.ids.tolist() == [1] and s.values[:, 0].tolist() == [1.0, 2.0]


def test_ffill_never_crosses_ids_and_leading_nan_is_an_error():
    t = pa.table({"id": ["a", "b", "b"], "time": [0, 0, 1], "u": [1.0, 2.0, np.nan],
                  "w": [1.0, np.inf, 3.0]})
    with pytest.raises(DataError, match=r"^read_table: feature column 'w' holds inf at row 1 \(id 'b'\), the first "
                                        r"step of that id, so there is nothing to carry forward\. Received nan='ffill'"):
        read_table(t, nan="ffill")


# --------------------------------------------------------------------------- duplicates
def dup_table():
    return pa.table({"id": [7, 7, 7, 8, 7], "time": [1, 0, 1, 0, 1], "v": [1.0, 0.0, 3.0, 9.0, 5.0],
                     "y": [1.0, 0.0, 2.0, 3.0, 6.0]})


def test_duplicate_time_is_an_error_by_default():
    with pytest.raises(DataError, match=r"^read_table: column 'time' repeats 1 for id 7 at row 2 \(first at row 0\)\. "
                                        r"Received duplicates='error'\. Fix: pass duplicates='first', 'last' or 'mean'"):
        read_table(dup_table())


@pytest.mark.parametrize("how, values, ys", [
    ("first", [0.0, 1.0, 9.0], [0.0, 1.0, 3.0]),
    ("last", [0.0, 5.0, 9.0], [0.0, 6.0, 3.0]),
    ("mean", [0.0, 3.0, 9.0], [0.0, 3.0, 3.0]),
])
def test_duplicates_options(how, values, ys):
    s = read_table(dup_table(), duplicates=how, target="y", level="step")
    assert s.values[:, 0].tolist() == values
    assert s.step_targets.tolist() == ys
    assert s.lengths.tolist() == [2, 1]


def test_duplicates_with_sort_false():
    t = pa.table({"id": [1, 1, 1, 2], "time": [0, 1, 1, 0], "v": [1.0, 2.0, 4.0, 5.0]})
    assert read_table(t, sort=False, duplicates="mean").values[:, 0].tolist() == [1.0, 3.0, 5.0]
    assert read_table(t, sort=False, duplicates="last").values[:, 0].tolist() == [1.0, 4.0, 5.0]


def test_mean_of_label_step_targets_must_agree():
    t = pa.table({"id": [1, 1], "time": [0, 0], "v": [1.0, 2.0], "y": ["p", "q"]})
    with pytest.raises(DataError, match=r"duplicates='mean' cannot average labels: target column 'y' has 'q' at "
                                        r"row 1 but 'p' at row 0"):
        read_table(t, duplicates="mean", target="y", level="step")


# --------------------------------------------------------------------------- other data errors
def test_target_varying_within_id():
    t = pa.table({"id": ["a", "b", "a", "a"], "time": [0, 0, 2, 1], "v": [1.0] * 4, "y": [1, 2, 1, 3]})
    with pytest.raises(DataError, match=r"^read_table: target column 'y' varies within id 'a': row 3 has 3 but "
                                        r"row 0 has 1\. Received level='sequence'\. Fix: pass level='step'"):
        read_table(t, target="y")


@pytest.mark.parametrize("y, what", [([1.0, np.nan], "NaN"), ([1.0, None], "a null"), (["p", None], "a null")])
def test_missing_targets(y, what):
    t = pa.table({"id": ["a", "b"], "time": [0, 0], "v": [1.0, 2.0], "y": y})
    with pytest.raises(DataError, match=rf"^read_table: the target column 'y' holds {what} at row 1 \(id 'b'\)"):
        read_table(t, target="y")


def test_non_numeric_features_are_named():
    t = pa.table({"id": [0], "time": [0], "v": [1.0], "city": ["x"], "code": ["1"]})
    with pytest.raises(DataError, match=re.escape(
            "read_table: feature column(s) ['city', 'code'] are not numeric (city: string, code: string). "
            "Fix: pass features= with numeric columns only, e.g. features=['v']")):
        read_table(t, features=["v", "city", "code"])


def test_missing_columns_list_available():
    t = pa.table({"key": [0], "t": [0], "v": [1.0]})
    with pytest.raises(ConfigError, match=re.escape(
            "read_table: column 'id' (option `id`) is not in the table. Available columns: ['key', 't', 'v']. "
            "Fix: pass id= with names from the available columns")):
        read_table(t, time="t")
    with pytest.raises(ConfigError, match=r"^read_table: columns \['a', 'b'\] \(option `features`\) are not in the table"):
        read_table(t, id="key", time="t", features=["v", "a", "b"])


def test_null_ids_and_times():
    t = pa.table({"id": ["a", None], "time": [0, 1], "v": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"^read_table: the id column 'id' is null at row 1\."):
        read_table(t)
    t = pa.table({"id": ["a", "b"], "time": [0, None], "v": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"^read_table: the time column 'time' is null at row 1 \(id 'b'\)"):
        read_table(t)


def test_unusable_id_and_time_types():
    with pytest.raises(DataError, match=r"the id column 'id' must hold integers or strings\. Received type double"):
        read_table(pa.table({"id": [0.5], "time": [0], "v": [1.0]}))
    with pytest.raises(DataError, match=r"the time column 'time' must hold integers, timestamps or numbers\. "
                                        r"Received type string.*Fix: parse it first"):
        read_table(pa.table({"id": [0], "time": ["monday"], "v": [1.0]}))


def test_sort_false_rejects_ungrouped_or_unsorted_rows():
    t = pa.table({"id": ["a", "b", "a"], "time": [0, 0, 1], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match=r"^read_table: with sort=False the rows of each id must be contiguous; id 'a' "
                                        r"starts again at row 2 after its rows ended at row 0"):
        read_table(t, sort=False)
    t = pa.table({"id": ["a", "a", "b", "b"], "time": [0, 1, 5, 4], "v": [1.0] * 4})
    with pytest.raises(DataError, match=r"^read_table: with sort=False each id's rows must be in time order; column "
                                        r"'time' goes back from 5 to 4 for id 'b' at row 3"):
        read_table(t, sort=False)


def test_errors_report_input_rows_after_dropping():
    t = pa.table({"id": [1, 1, 1, 1], "time": [0, 1, 3, 3], "v": [np.nan, 1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match=r"repeats 3 for id 1 at row 3 \(first at row 2\)"):
        read_table(t, nan="drop")


def test_csv_errors(tmp_path):
    path = tmp_path / "bad.csv"
    rows = "".join(f"1,{i},{i}.5\n" for i in range(150_000))  # > 1 MiB: types come from the first MiB
    path.write_text("id,time,v\n" + rows + "1,150000,abc\n")
    with pytest.raises(DataError, match=r"^read_table: cannot parse 'bad\.csv' as CSV \(in the rows from data row \d+ on\): .*abc"):
        read_table(path, chunk_rows=1000)
    path.write_text("id,time,v\n1,0,abc\n")
    with pytest.raises(DataError, match=r"^read_table: feature column\(s\) \['v'\] are not numeric \(v: string\)\. "
                                        r"Fix: convert those columns to numbers first"):
        read_table(path, features=["v"])
    path.write_text("id,time,v\n1,0,1.5\n1,1,nan\n")
    with pytest.raises(DataError, match=r"feature column 'v' holds NaN \(or a missing value\) at row 1 \(id 1\)"):
        read_table(path)


# --------------------------------------------------------------------------- options
@pytest.mark.parametrize("kwargs, pattern", [
    (dict(level="steps"), r"`level` must be one of \{'sequence', 'step'\}\. Received: level='steps'"),
    (dict(nan="fill"), r"`nan` must be one of \{'drop', 'error', 'ffill', 'zero'\}"),
    (dict(duplicates="max"), r"`duplicates` must be one of"),
    (dict(features="v"), r"`features` must be a list of column names\. Received: features='v'\. Fix: pass a list, "
                         r"e\.g\. features=\['v'\]"),
    (dict(dtype="int32"), r"`dtype` must be a float dtype"),
    (dict(sort=False, id_order="sorted"), r"id_order='sorted' needs sort=True"),
    (dict(target="id"), r"`id` and `target` name the same column 'id'"),
    (dict(chunk_rows=0), r"`chunk_rows` must be >= 1"),
])
def test_options_checked_before_reading(kwargs, pattern, tmp_path):
    # the path does not exist: options are checked before the data is touched
    with pytest.raises(ConfigError, match=pattern):
        read_table(tmp_path / "missing.csv", **kwargs)


def test_unsupported_sources(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot tell the format of 'x\.json' from its suffix"):
        read_table(tmp_path / "x.json")
    with pytest.raises(ConfigError, match=r"cannot read a long table from a dict"):
        read_table({"id": [1]})
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "missing.parquet")


@pytest.mark.parametrize("newline, trailing", [("\n", True), ("\r\n", True), ("\n", False)])
@pytest.mark.parametrize("gz", [False, True])
def test_csv_chunks_cut_at_line_ends(tmp_path, monkeypatch, newline, trailing, gz):
    import gzip

    from seqfeed.sources import _arrow_source

    monkeypatch.setattr(_arrow_source, "_CSV_MIN_BLOCK", 7)  # chunks of a few bytes: many cuts
    rng = np.random.default_rng(5)
    rows = [(f"id{rng.integers(0, 9)}", i, round(float(rng.normal()), 4)) for i in range(300)]
    text = newline.join(["id,time,v", *(f"{a},{b},{c}" for a, b, c in rows)])
    text = text.replace(newline + "id3,", newline + newline + "id3,", 1)  # one blank line
    text += newline if trailing else ""
    path = tmp_path / ("t.csv.gz" if gz else "t.csv")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    s = read_table(path, chunk_rows=1, dtype="float64")
    want = pa.table({"id": [r[0] for r in rows], "time": [r[1] for r in rows], "v": [r[2] for r in rows]})
    ref = read_table(want, dtype="float64")
    np.testing.assert_array_equal(s.values, ref.values)
    np.testing.assert_array_equal(s.offsets, ref.offsets)
    assert s.ids.tolist() == ref.ids.tolist()


def test_string_view_columns_as_from_polars():
    t = pa.table({"id": pa.array(["b", "a", "b"]).cast(pa.string_view()), "time": [1, 0, 0],
                  "v": [1.0, 2.0, 3.0], "y": pa.array(["p", "q", "p"]).cast(pa.string_view())})
    s = read_table(t, target="y", chunk_rows=2)
    assert s.ids.tolist() == ["a", "b"] and s.values[:, 0].tolist() == [2.0, 3.0, 1.0]
    assert s.targets.tolist() == ["q", "p"]
