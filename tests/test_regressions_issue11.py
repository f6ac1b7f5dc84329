"""Regression tests: one per finding of the bad-input review (Python API and readers).

Each test builds the input that used to give a raw exception or a silently wrong
result and asserts the value now returned or the SeqfeedError (argument, index, message).
"""
import gzip
import os
import re
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import seqfeed as sf
from seqfeed import ConfigError, DataError, SeqfeedError
from seqfeed.sources import read_npz, read_table, read_ts, write_npz


def _write(path, data: bytes):
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


CSV = b"id,time,x\n1,0,1.5\n1,1,2.5\n2,0,3.5\n"


# --------------------------------------------------------------------------- readers
@pytest.mark.parametrize("newline", [b"\r", b"\r\n", b"\n"])
def test_csv_line_endings_all_read_the_same(tmp_path, newline):
    s = read_table(_write(tmp_path / "a.csv", CSV.replace(b"\n", newline)))
    assert s.lengths.tolist() == [2, 1]
    assert s.values[:, 0].tolist() == [1.5, 2.5, 3.5]
    assert s.ids.tolist() == [1, 2]


def test_csv_cr_only_gzip(tmp_path):
    s = read_table(_write(tmp_path / "a.csv.gz", gzip.compress(CSV.replace(b"\n", b"\r"))))
    assert s.values[:, 0].tolist() == [1.5, 2.5, 3.5]


@pytest.mark.parametrize("nan", ["error", "drop", "zero", "ffill"])
def test_float32_overflow_is_an_error_naming_row_and_column(tmp_path, nan):
    p = _write(tmp_path / "big.csv", b"id,time,x,y\n1,0,1,2\n1,1,2,1e39\n2,0,3,4\n")
    with pytest.raises(DataError, match=r"column 'y' holds 1e\+39 at row 1 \(id 1\), which overflows float32") as e:
        read_table(p, nan=nan)
    assert (e.value.argument, e.value.column) == ("dtype", "y") and e.value.index == 1 and "float64" in e.value.fix
    # float64 holds it exactly
    assert read_table(p, nan=nan, dtype="float64").values[1, 1] == 1e39


def test_float32_overflow_from_an_arrow_table():
    t = pa.table({"id": [1, 1], "time": [0, 1], "x": [1.0, -3e40]})
    with pytest.raises(DataError, match=r"column 'x' holds -3e\+40 at row 1") as e:
        read_table(t, nan="drop")
    assert e.value.index == 1


def test_genuine_inf_still_follows_the_nan_option(tmp_path):
    p = _write(tmp_path / "inf.csv", b"id,time,x\n1,0,1\n1,1,inf\n2,0,3\n")
    assert read_table(p, nan="zero").values[:, 0].tolist() == [1.0, 0.0, 3.0]
    assert read_table(p, nan="drop").values[:, 0].tolist() == [1.0, 3.0]


def test_ts_float32_overflow_is_an_error(tmp_path):
    p = _write(tmp_path / "a.ts", b"@problemName a\n@data\n1,2e39,3\n")
    with pytest.raises(DataError, match=r"case 0 \(line 3\), dimension 0, step 1 holds 2e\+39"):
        read_ts(p)
    assert read_ts(p, dtype="float64").values[1, 0] == 2e39


def test_parquet_uint64_times_above_2_63_sort_by_value(tmp_path):
    times = [2**63 + 5, 3, 2**63, 2**64 - 1]
    t = pa.table({"id": [1, 1, 1, 1], "time": pa.array(times, pa.uint64()), "x": [1.0, 2.0, 3.0, 4.0]})
    pq.write_table(t, tmp_path / "u.parquet")
    s = read_table(str(tmp_path / "u.parquet"))
    order = np.argsort(np.array(times, dtype=np.uint64), kind="stable")
    assert s.values[:, 0].tolist() == [[1.0, 2.0, 3.0, 4.0][k] for k in order] == [2.0, 3.0, 1.0, 4.0]


def test_parquet_uint64_duplicate_time_is_reported_with_its_real_value(tmp_path):
    t = pa.table({"id": [1, 1], "time": pa.array([2**63 + 7, 2**63 + 7], pa.uint64()), "x": [1.0, 2.0]})
    with pytest.raises(DataError, match=re.escape(f"repeats {2**63 + 7}")):
        read_table(t)


def test_one_text_cell_does_not_silently_drop_an_auto_detected_column(tmp_path):
    p = _write(tmp_path / "a.csv", b"id,time,x,y\n1,0,1,2\n1,1,abc,3\n2,0,4,5\n")
    with pytest.raises(DataError, match=r"column 'x' holds 2 numbers but 'abc' at row 1") as e:
        read_table(p)
    assert (e.value.argument, e.value.column, e.value.index, e.value.received) == ("features", "x", 1, "abc")
    assert "features=" in e.value.fix
    # choosing the columns explicitly is the way out
    assert read_table(p, features=["y"]).values[:, 0].tolist() == [2.0, 3.0, 5.0]


def test_text_cell_in_a_named_feature_names_the_cell(tmp_path):
    p = _write(tmp_path / "a.csv", b"id,time,x,y\n1,0,1,2\n1,1,abc,3\n")
    with pytest.raises(DataError, match=r"\['x'\] are not numeric") as e:
        read_table(p, features=["x", "y"])
    assert e.value.index == 1 and e.value.received == "abc" and "row 1, 'abc'" in str(e.value)


def test_decimal_commas_are_an_error_not_a_dropped_column(tmp_path):
    p = _write(tmp_path / "a.csv", b'id,time,x,y\n1,0,"1,5",2\n1,1,"2,5",3\n')
    with pytest.raises(DataError, match=r"column 'x' holds '1,5' at row 0: a decimal comma") as e:
        read_table(p)
    assert e.value.index == 0


def test_a_label_column_is_still_skipped_with_a_warning(tmp_path):
    p = _write(tmp_path / "a.csv", b"id,time,x,city\n1,0,1,paris\n1,1,2,rome\n")
    with pytest.warns(sf.SeqfeedWarning, match=r"skipping non-numeric column\(s\) \['city'\]"):
        s = read_table(p)
    assert s.feature_names == ("x",) and s.values[:, 0].tolist() == [1.0, 2.0]


def test_numbers_stored_as_text_in_a_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": [1, 1], "time": [0, 1], "x": [1.0, 2.0], "y": ["1.5", "2.5"]})
    with pytest.raises(DataError, match=r"column 'y' holds numbers stored as text \(e.g. '1.5' at row 0\)"):
        read_table(df)


def test_mixed_object_column_in_a_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": [1, 1], "time": [0, 1], "x": [1.0, "a"]})
    with pytest.raises(DataError, match=r"cannot be read as a table.*column x"):
        read_table(df)


@pytest.mark.parametrize("header,dup", [(b"id,time,x,x", "x"), (b"id,time,id,x", "id")])
def test_duplicate_column_names(tmp_path, header, dup):
    p = _write(tmp_path / "d.csv", header + b"\n1,0,1,2\n")
    with pytest.raises(DataError, match=f"more than one column named '{dup}'") as e:
        read_table(p)
    assert (e.value.argument, e.value.column) == ("source", dup)


@pytest.mark.parametrize("data", [gzip.compress(CSV * 50)[:60], b"\x1f\x8b" + bytes(range(200))],
                         ids=["truncated", "garbage"])
def test_bad_gzip_csv(tmp_path, data):
    with pytest.raises(DataError, match=r"cannot parse 'a.csv.gz' as CSV") as e:
        read_table(_write(tmp_path / "a.csv.gz", data))
    assert "damaged or truncated" in e.value.fix


def test_corrupted_parquet_pages(tmp_path):
    t = pa.table({"id": np.repeat(np.arange(50), 4), "time": np.tile(np.arange(4), 50),
                  "x": np.arange(200.0)})
    pq.write_table(t, tmp_path / "ok.parquet", compression="snappy")
    raw = bytearray((tmp_path / "ok.parquet").read_bytes())
    for k in range(8, 200):  # the first column chunk's page header and data
        raw[k] ^= 0x5A
    with pytest.raises(DataError, match=r"'bad.parquet' is (damaged|not a readable Parquet)"):
        read_table(_write(tmp_path / "bad.parquet", bytes(raw)))


def test_header_only_csv(tmp_path):
    with pytest.raises(DataError, match=r"no data rows"):
        read_table(_write(tmp_path / "h.csv", b"id,time,x\n"))


TS = b"@problemName a\n@classLabel true a b\n@data\n1,2,3:a\n4,5:b\n"


def test_ts_non_utf8(tmp_path):
    with pytest.raises(DataError, match=r"not UTF-8 text: byte b'\\xe9' at offset 32 \(line 2\)") as e:
        read_ts(_write(tmp_path / "a.ts", TS.replace(b"a b", b"\xe9 b")))
    assert e.value.index == 1


def test_ts_truncated_gzip(tmp_path):
    with pytest.raises(DataError, match=r"looks gzip-compressed but cannot be decompressed"):
        read_ts(_write(tmp_path / "a.ts.gz", gzip.compress(TS)[:20]))


@pytest.mark.parametrize("cut", [10, 30, 45, len(TS) - 3])
def test_ts_truncated_text(tmp_path, cut):
    try:
        s = read_ts(_write(tmp_path / "a.ts", TS[:cut]))
    except DataError:
        return
    # the only readable cut keeps the first case whole and drops part of the second one's label
    assert s.lengths.tolist()[0] == 3 and s.values[:3, 0].tolist() == [1.0, 2.0, 3.0]


def test_npz_that_is_a_npy(tmp_path):
    with open(tmp_path / "x.npz", "wb") as f:
        np.save(f, np.arange(3))
    with pytest.raises(DataError, match=r"holds a single array \(a .npy file, shape \(3,\)\)"):
        read_npz(tmp_path / "x.npz")


def test_npz_with_pickled_objects_is_never_unpickled(tmp_path):
    np.savez(tmp_path / "p.npz", values=np.array([{"a": 1}], dtype=object), offsets=np.array([0, 1]))
    with pytest.raises(DataError, match=r"stores `values` as pickled Python objects") as e:
        read_npz(tmp_path / "p.npz")
    assert e.value.argument == "values"


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04garbage", b"\x93NUMPY"], ids=["empty", "zip", "npy-head"])
def test_npz_damaged(tmp_path, data):
    with pytest.raises(DataError, match=r"read_npz: x.npz"):
        read_npz(_write(tmp_path / "x.npz", data))


def test_npz_round_trip_still_works(tmp_path):
    s = sf.SequenceSet.from_sequences([[1.0, 2.0], [3.0]], targets=np.array(["a", "b"]))
    write_npz(s, tmp_path / "s.npz")
    r = read_npz(tmp_path / "s.npz")
    assert r.values[:, 0].tolist() == [1.0, 2.0, 3.0] and r.targets.tolist() == ["a", "b"]


def test_out_of_memory_read_names_the_size(tmp_path, monkeypatch):
    from seqfeed.sources import _features

    p = _write(tmp_path / "a.csv", CSV)

    def no_memory(shape, dtype=None):
        raise MemoryError()

    monkeypatch.setattr(_features.np, "empty", no_memory)
    with pytest.raises(DataError, match=r"does not fit in memory: 3 rows x 1 features of float32 need "
                                        r"about 36 bytes") as e:
        read_table(p)
    assert e.value.received == 3


# --------------------------------------------------------------------------- core API
def test_explain_sees_nan_next_to_an_integer_sequence():
    d = sf.explain([np.array([1, 2]), np.array([np.nan, 1.0])])
    assert not d.ok and "sequence 1, step 0" in d.problems[0][0]
    assert sf.explain([np.array([1, 2]), np.array([0.5, 1.0])]).ok


@pytest.mark.parametrize("data", [[np.array(1.0), np.array([1.0, 2.0])],
                                  np.array([np.array(1.0), np.array([1.0, 2.0])], dtype=object)])
def test_explain_reports_a_0d_element(data):
    d = sf.explain(data)
    assert not d.ok and "element 0 is a 0-d array" in d.problems[0][0]


def test_explain_never_raises_even_on_odd_objects():
    class Weird:
        def __array__(self, *a, **k):
            raise RuntimeError("boom")

    d = sf.explain(Weird())
    assert not d.ok and "boom" in d.problems[0][0]


def test_pad_checks_lengths_against_mask():
    x = np.arange(12.0).reshape(2, 3, 2)
    mask = np.array([[1, 1, 1], [1, 1, 0]], bool)
    with pytest.raises(DataError, match=r"`lengths` and `mask` disagree: lengths\[0\]=1") as e:
        sf.pad(x, lengths=[1, 2], mask=mask)
    assert e.value.index == 0
    b = sf.pad(x, lengths=[3, 2], mask=mask)
    assert b.lengths.tolist() == [3, 2] and b.mask.tolist() == mask.tolist()


def test_as_lstm_input_batch_time_honours_mask_and_input_padding():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    b = sf.as_lstm_input(x, layout="batch_time", mask=np.array([[1, 1, 0], [1, 0, 0]], bool))
    assert b.lengths.tolist() == [2, 1]
    assert b.x[..., 0].tolist() == [[1.0, 2.0], [4.0, 0.0]]
    b = sf.as_lstm_input(x, layout="batch_time", lengths=[2, 1], input_padding="pre")
    assert b.x[..., 0].tolist() == [[2.0, 3.0], [6.0, 0.0]]
    b = sf.as_lstm_input(x, layout="batch_time", mask=np.array([[0, 1, 1], [0, 0, 1]], bool))
    assert b.x[..., 0].tolist() == [[2.0, 3.0], [6.0, 0.0]]


@pytest.mark.parametrize("data,kw", [(np.arange(4.0), {"lengths": [2]}),
                                     (np.ones((3, 2)), {"layout": "time_features", "mask": np.ones((1, 3), bool)}),
                                     ([[1.0, 2.0]], {"lengths": [1]}),
                                     (sf.SequenceSet.from_sequences([[1.0, 2.0]]), {"lengths": [1]})])
def test_lengths_or_mask_that_cannot_apply_are_rejected(data, kw):
    with pytest.raises(ConfigError, match=r"`lengths`/`mask` apply to"):
        sf.as_lstm_input(data, **kw)


def test_pad_into_a_buffer_that_overlaps_the_input():
    expect = np.zeros((2, 3, 2), np.float32)
    expect[0] = np.arange(1.0, 7.0).reshape(3, 2)
    expect[1, :2] = expect[0, 1:]
    for F_bytes in (2, 200):  # short rows (concatenated first) and long rows (copied row by row)
        buf = np.zeros(2 * 3 * F_bytes, np.float32)
        src = buf[2:2 + 3 * F_bytes].reshape(3, F_bytes)
        src[:, :2] = expect[0]
        b = sf.pad([src, src[1:]], out=buf)
        assert np.array_equal(b.x[..., :2], expect) and not b.x[..., 2:].any()
    # a SequenceSet whose values live in the buffer
    buf2 = np.zeros(24, np.float32)
    vals = buf2[4:14].reshape(5, 2)
    vals[:] = np.arange(10.0).reshape(5, 2)
    s = sf.SequenceSet(vals, np.array([0, 3, 5]))
    ref = np.zeros((2, 3, 2), np.float32)
    ref[0] = np.arange(6.0).reshape(3, 2)
    ref[1, :2] = np.arange(6.0, 10.0).reshape(2, 2)
    assert np.array_equal(sf.pad(s, out=buf2).x, ref)


@pytest.mark.parametrize("fn", [lambda: sf.pad([[1.0]], maxlen=2**62),
                                lambda: sf.pad_sequences([[1.0]], maxlen=2**62),
                                lambda: sf.pad([[1.0]] * 3, maxlen=2**40, dtype="float64")])
def test_impossible_maxlen_names_the_bytes(fn):
    with pytest.raises(ConfigError, match=r"would need [\d,]+ bytes"):
        fn()


def test_pad_empty_batch_with_huge_maxlen():
    with pytest.raises(ConfigError, match=r"would need"):
        sf.pad(sf.SequenceSet(np.zeros((0, 1)), np.zeros(1, np.int64)), maxlen=2**62)


@pytest.mark.parametrize("idx", [[-1], [5], [0, 2], [[0]], [0.5]])
def test_batch_loader_rejects_bad_indices(idx):
    s = sf.SequenceSet.from_sequences([[1.0, 2.0], [3.0]])
    loader = sf.BatchLoader(s, sf.FixedSampler(s.lengths, batch_size=2))
    with pytest.raises(SeqfeedError, match=r"BatchLoader.batch: `?indices"):
        loader.batch(idx)
    assert loader.batch([1, 0]).x[..., 0].tolist() == [[3.0, 0.0], [1.0, 2.0]]


def test_out_of_range_index_is_a_seqfeed_error_and_an_index_error():
    s = sf.SequenceSet.from_sequences([[1.0]])
    for fn in (lambda: s[5], lambda: s.take([-5])):
        with pytest.raises(SeqfeedError) as e:
            fn()
        assert isinstance(e.value, IndexError)


def test_pad_sequences_nan_value_float_matches_keras_semantics():
    x = sf.pad_sequences([[1, 2, 3], [4]], value=np.nan, dtype="float32")
    assert x.dtype == np.float32 and x[0].tolist() == [1.0, 2.0, 3.0]
    assert np.isnan(x[1, :2]).all() and x[1, 2] == 4.0


@pytest.mark.parametrize("value", [np.nan, float("inf"), 1e20, -2**40])
def test_pad_sequences_int_dtype_rejects_values_keras_would_garble(value):
    with pytest.raises(ConfigError, match=r"cannot be stored in dtype int32") as e:
        sf.pad_sequences([[1, 2, 3], [4]], value=value)
    assert e.value.argument == "value"


def test_pad_sequences_bad_dtype_is_a_config_error():
    with pytest.raises(ConfigError, match=r"`dtype` is not a NumPy dtype"):
        sf.pad_sequences([[1]], dtype="notadtype")


def test_float_lengths_are_a_data_error_naming_the_argument_and_the_dtype():
    with pytest.raises(DataError, match=r"^padding_report: `data` has the wrong dtype: it must hold integers") as e:
        sf.padding_report(np.array([1.5, 2.0]))
    assert e.value.argument == "data" and e.value.received == "float64"
    with pytest.raises(DataError, match=r"`lengths` has the wrong dtype: it must hold whole numbers") as e:
        sf.pad(np.zeros((2, 3, 1)), lengths=np.array([1.5, 2.0]))
    assert e.value.argument == "lengths"
    assert sf.pad(np.zeros((2, 3, 1)), lengths=np.array([1.0, 2.0])).lengths.tolist() == [1, 2]


# --------------------------------------------------------------------------- found by the fuzz tests
def test_metrics_check_shapes_and_labels():
    from seqfeed import metrics as M

    with pytest.raises(sf.ShapeError, match=r"`y_true` has shape \(2,\) but `y_pred` has \(0,\)"):
        M.accuracy([0.5, 1.0], [])
    with pytest.raises(DataError, match=r"`y_true\[0\]`=-1 is not a class label"):
        M.confusion_matrix([-1, 0], [0, 0], 2)
    with pytest.raises(ConfigError, match=r"`n_classes` must be >= 1"):
        M.confusion_matrix([], [], -1)
    with pytest.raises(DataError, match=r"`y_true` must hold numbers"):
        M.mae(["a", "b"], [0.5, 1.0])
    # (n,) against (n, 1) compares row by row, not as an (n, n) broadcast
    assert M.mae(np.array([1.0, 2.0]), np.array([[1.0], [4.0]])) == 1.0
    assert M.accuracy(np.array([1, 1, 2]), np.array(1)) == pytest.approx(2 / 3)
    assert M.confusion_matrix([0, 1, 1], [0, 1, 0], 2).tolist() == [[1, 0], [1, 1]]


def test_standardizer_refuses_statistics_that_overflow():
    s = sf.SequenceSet.from_sequences([np.array([[1e200], [-3e200]])])
    with pytest.raises(DataError, match=r"too large to standardise"):
        sf.Standardizer().fit(s)
    with pytest.raises(DataError, match=r"too large to standardise"):
        sf.Standardizer(method="per_sequence").transform(s)
    # one huge step: its mean is itself, std 0 (constant): centred to exactly 0, not NaN
    with pytest.warns(sf.SeqfeedWarning):
        z = sf.Standardizer().fit_transform(sf.SequenceSet.from_sequences([np.array([[1e200]])]))
    assert z.values.tolist() == [[0.0]]


def test_standardizer_output_overflow_is_an_error():
    st = sf.Standardizer().fit(sf.SequenceSet.from_sequences([np.array([[0.0], [2e-7]])]))
    with pytest.raises(DataError, match=r"overflows float32"):
        st.transform(sf.SequenceSet.from_sequences([np.array([[1e32]], dtype=np.float32)]))
    ok = st.transform(sf.SequenceSet.from_sequences([np.array([[3e-7]], dtype=np.float32)]))
    assert ok.values[0, 0] == pytest.approx(2.0, rel=1e-5)


def test_padding_report_checks_its_options():
    with pytest.raises(ConfigError, match=r"`multiple_of` must be >= 1"):
        sf.padding_report(np.array([3, 4]), multiple_of=0)
    with pytest.raises(ConfigError, match=r"`batch_sizes` must be an integer"):
        sf.padding_report(np.array([3, 4]), batch_sizes=("a",))


@pytest.mark.parametrize("fn", [lambda: sf.pad([np.array([np.nan, 1.0])], dtype="int32"),
                                lambda: sf.pad_sequences([np.array([1e20, 1.0])]),
                                lambda: sf.pad_sequences([np.array([np.inf])], dtype="int64")])
def test_float_data_an_integer_dtype_cannot_hold(fn):
    with pytest.raises(DataError, match=r"which dtype int(32|64) cannot hold"):
        fn()


def test_zero_features_and_object_arrays_of_other_shapes():
    with pytest.raises(sf.ShapeError, match=r"0 features per step"):
        sf.as_lstm_input(np.zeros((2, 3, 0)))
    with pytest.raises(sf.ShapeError, match=r"object array of sequences must be 1-D"):
        sf.as_sequence_set(np.array(1.5, dtype=object))


def test_sampler_state_is_validated():
    s = sf.FixedSampler(np.arange(1, 7), batch_size=2, seed=3)
    with pytest.raises(ConfigError, match=r"`state\['epoch'\]` must be an integer"):
        s.load_state_dict({**s.state_dict(), "epoch": "1"})
    with pytest.raises(ConfigError, match=r"past the 3 batches"):
        s.load_state_dict({**s.state_dict(), "position": 4})
    with pytest.raises(ConfigError, match=r"`state` must be the dict"):
        s.load_state_dict([("epoch", 0)])
    s.load_state_dict({**s.state_dict(), "epoch": 2, "position": 1})
    assert (s.epoch, s.position) == (2, 1)


def test_windows_index_errors_are_seqfeed_errors():
    w = sf.sliding_windows(np.arange(5.0), 2, target=None)
    with pytest.raises(SeqfeedError) as e:
        w[7]
    assert isinstance(e.value, IndexError) and e.value.index == 7
    with pytest.raises(ConfigError, match=r"takes one integer"):
        w[1.5]
    assert w[-1][:, 0].tolist() == [3.0, 4.0]


@pytest.mark.parametrize("change,match", [({"mean": ["a"]}, "finite numbers"), ({"std": [-1.0]}, "std > 0"),
                                          ({"n_features": "two"}, "n_features")])
def test_standardizer_from_dict_is_validated(change, match):
    d = sf.Standardizer().fit(sf.SequenceSet.from_sequences([[1.0, 2.0]])).to_dict()
    with pytest.raises(ConfigError, match=match):
        sf.Standardizer.from_dict({**d, **change})


def test_empty_string_id_is_an_error(tmp_path):
    p = _write(tmp_path / "a.csv", b"id,time,x\na,0,1\n,1,2\n")
    with pytest.raises(DataError, match=r"the id column 'id' is empty at row 1") as e:
        read_table(p)
    assert e.value.index == 1


def test_out_of_memory_while_reading_keys_names_the_file_size(tmp_path, monkeypatch):
    from seqfeed.sources import _keys

    p = _write(tmp_path / "a.csv", CSV)

    def no_memory(self, a):
        raise MemoryError()

    monkeypatch.setattr(_keys._Column, "add", no_memory)
    with pytest.raises(DataError, match=rf"does not fit in memory \(a {len(CSV)}-byte file") as e:
        read_table(p)
    assert e.value.received == len(CSV)


def test_timeseries_windows_huge_rate_or_stride_on_a_length_one_axis():
    X, _ = sf.timeseries_windows(np.arange(3.0), None, 1, sampling_rate=2**62)
    assert X[:, 0].tolist() == [0.0, 1.0, 2.0]
    X, _ = sf.timeseries_windows(np.arange(3.0), None, 3, sequence_stride=2**62)
    assert X.tolist() == [[0.0, 1.0, 2.0]]
