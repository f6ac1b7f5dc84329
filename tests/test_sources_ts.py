import gzip
import io
from importlib import resources

import numpy as np
import pytest

from seqfeed import ConfigError, DataError
from seqfeed.sources import read_ts


def bundled(name):
    return resources.files("seqfeed.datasets").joinpath("data", name)


def first_data_line(name):
    with bundled(name).open("rb") as f:
        lines = gzip.decompress(f.read()).decode().splitlines()
    return lines[lines.index("@data") + 1]


@pytest.mark.parametrize("split, n, lo, hi", [("train", 270, 7, 26), ("test", 370, 7, 29)])
def test_japanese_vowels_files(split, n, lo, hi):
    name = f"japanese_vowels_{split}.ts.gz"
    with resources.as_file(bundled(name)) as path:
        s = read_ts(path)
    assert len(s) == n and s.n_features == 12
    assert (s.lengths.min(), s.lengths.max()) == (lo, hi)
    assert s.feature_names == tuple(f"dim_{d}" for d in range(12))
    assert s.values.dtype == np.float32
    assert s.targets.dtype.kind == "U" and sorted(set(s.targets.tolist())) == [str(k) for k in range(1, 10)]
    # the first case equals the text: dimension d of the line is column d of the sequence
    line = first_data_line(name)
    dims = line.split(":")
    assert s.targets[0] == dims[-1]
    for d in range(12):
        want = np.array(dims[d].split(","), dtype=np.float64)
        np.testing.assert_array_equal(s[0][:, d], want.astype(np.float32))
    assert s.lengths[0] == len(dims[0].split(","))


def test_float64_and_file_objects():
    with bundled("japanese_vowels_train.ts.gz").open("rb") as f:
        s = read_ts(f, dtype="float64")
    first = first_data_line("japanese_vowels_train.ts.gz").split(":")[0].split(",")
    assert s[0][:3, 0].tolist() == [float(v) for v in first[:3]]
    text = "@problemName x\n@univariate true\n@classLabel false\n@data\n1,2,3\n4\n"
    s = read_ts(io.StringIO(text))
    assert s.lengths.tolist() == [3, 1] and s.targets is None and s.n_features == 1


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_case_of_the_bundled_files_equals_a_line_by_line_parse(split):
    """The vectorised parser against the plainest reading of the format, case by case, value by value."""
    name = f"japanese_vowels_{split}.ts.gz"
    with bundled(name).open("rb") as f:
        raw = f.read()
    lines = gzip.decompress(raw).decode().splitlines()
    cases = [ln for ln in lines[lines.index("@data") + 1:] if ln.strip()]
    s = read_ts(io.BytesIO(raw), dtype="float64")
    assert len(s) == len(cases)
    for k, line in enumerate(cases):
        *dims, label = line.split(":")
        want = np.column_stack([[float(v) for v in d.split(",")] for d in dims])
        np.testing.assert_array_equal(s[k], want, err_msg=f"case {k}")
        assert s.targets[k] == label
    assert s.values.dtype == np.float64 and int(s.lengths.sum()) == s.values.shape[0]


def test_missing_values_comments_and_regression_targets():
    text = ("# a comment\n@problemName reg\n@missing true\n@dimensions 2\n@targetLabel true\n@data\n"
            "1,?,3:4,5,6:0.5\n# between cases\n\n7,8:NaN,9:-2\n")
    s = read_ts(io.StringIO(text))
    assert s.targets.tolist() == [0.5, -2.0] and s.targets.dtype == np.float64
    np.testing.assert_array_equal(s[0], [[1, 4], [np.nan, 5], [3, 6]])
    np.testing.assert_array_equal(s[1], [[7, np.nan], [8, 9]])


def test_arff_style_comments_in_the_header_are_skipped():
    """sktime 1.2.0's UnitTest_TRAIN.ts opens with '%' lines (ARFF comments) before its headers."""
    text = "%# a cut down version\n% of a problem\n%\n@classLabel true a b\n@data\n1,2,3:a\n4,5:b\n"
    s = read_ts(io.StringIO(text))
    assert s.lengths.tolist() == [3, 2] and s.targets.tolist() == ["a", "b"]
    with pytest.raises(DataError, match=r"line 2 comes before @data but is not a header \(@\.\.\.\) or comment"):
        read_ts(io.StringIO("% fine\n1,2:a\n@data\n"))


def test_timestamped_values():
    text = ("@timeStamps true\n@classLabel true a b\n@data\n"
            "(2007-01-01 00:00:00,1.5),(2007-01-02 00:00:00,2.5):(2007-01-01 00:00:00,3),"
            "(2007-01-02 00:00:00,4):b\n")
    s = read_ts(io.StringIO(text))
    np.testing.assert_array_equal(s[0], [[1.5, 3.0], [2.5, 4.0]])
    assert s.targets.tolist() == ["b"]


@pytest.mark.parametrize("body, pattern", [
    ("@dimensions 2\n@classLabel true a\n@data\n1,2:3,4:a\n1,2,3:4,5:a\n",
     r"^read_ts: <file> case 1 \(line 5\): dimension 1 has 2 values but dimension 0 has 3; the dimensions "
     r"of a case must have equal length\..*Fix: resample or pad"),
    ("@dimensions 2\n@classLabel true a\n@data\n1,2:3,4:a\n1,2:a\n",
     r"^read_ts: <file> case 1 \(line 5\) has 1 dimensions, expected 2"),
    ("@classLabel true a b\n@data\n1,2:a\n1,2:c\n",
     r"^read_ts: <file> case 1 \(line 4\) has class label 'c', which @classLabel does not declare"),
    ("@classLabel false\n@data\n1,2\n1,x\n", r"^read_ts: <file> case 1 \(line 4\) holds 'x', not a number"),
    ("@targetLabel true\n@data\n1,2:abc\n", r"^read_ts: <file> case 0 \(line 3\) has target 'abc', not a number"),
    ("@classLabel true a\n1,2:a\n", r"^read_ts: <file> line 2 comes before @data but is not a header"),
    ("@classLabel true a\n", r"^read_ts: <file> has no @data line"),
    ("@equalLength true\n@seriesLength 3\n@data\n1,2,3\n1,2\n", r"case 1 \(line 5\) has length 2 but the header "
                                                                 r"says @seriesLength 3"),
])
def test_malformed_files_name_the_case_line(body, pattern):
    with pytest.raises(DataError, match=pattern):
        read_ts(io.StringIO(body))


def test_bad_dtype_and_source():
    with pytest.raises(ConfigError, match=r"`dtype` must be a float dtype"):
        read_ts(io.StringIO(""), dtype="int8")
    with pytest.raises(ConfigError, match=r"expected a path or a file object"):
        read_ts(12)
