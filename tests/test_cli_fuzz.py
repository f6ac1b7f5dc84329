"""Property tests of the command line's bad inputs: option values and damaged files.

Every case runs in process and stops before training (a missing --target column or a bad value),
so no TensorFlow is needed. The properties: exit status 0, 1 or 2; on 2, exactly one error line
and one hint; never a traceback or an exception out of ``main``.
"""
import gzip
import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqfeed.cli import main

pytestmark = pytest.mark.fuzz

# 20 examples per case in the default profile (a few seconds); the long fuzz profile runs up to 500
_N = settings.default.max_examples
SETTINGS = settings(max_examples=20 if _N <= 100 else min(_N, 500), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _csv_text(n_ids=6):
    rows = ["sensor,t,a,b,label"]
    for k in range(n_ids):
        rows += [f"s{k},{t},{k + t * 0.5},{k - t},{'ab'[k % 2]}" for t in range(4)]
    return "\n".join(rows) + "\n"


def _files():
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    text = _csv_text()
    out = {".csv": text.encode(), ".csv.gz": gzip.compress(text.encode())}
    buf = io.BytesIO()
    pq.write_table(pcsv.read_csv(pa.py_buffer(text.encode())), buf)
    out[".parquet"] = buf.getvalue()
    out[".ts"] = ("@problemName x\n@timeStamps false\n@univariate false\n@classLabel true a b\n@data\n"
                  "1,2,3,4:5,6,7,8:a\n2,3,4:5,6,7:b\n").encode()
    buf = io.BytesIO()
    np.savez(buf, values=np.arange(12, dtype=np.float32).reshape(6, 2), offsets=np.array([0, 2, 6]))
    out[".npz"] = buf.getvalue()
    buf = io.BytesIO()
    np.save(buf, np.arange(24, dtype=np.float32).reshape(3, 4, 2))
    out[".npy"] = buf.getvalue()
    return out


FILES = _files()


def _mutate(data: bytes, ops) -> bytes:
    b = bytearray(data)
    for kind, pos, value in ops:
        if not b:
            break
        i = pos % len(b)
        if kind == "flip":
            b[i] ^= value or 1
        elif kind == "cut":
            del b[i:]
        elif kind == "insert":
            b[i:i] = bytes([value])
        else:
            del b[i]
    return bytes(b)


mutations = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "delete"]),
                               st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4)


def _check(code, err, command):
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        lines = err.strip().splitlines()
        errors = [ln for ln in lines if ln.startswith(f"seqfeed {command}: error: ")]
        assert len(errors) == 1 and lines[-2] == errors[0] and lines[-1].startswith("  hint: "), err


@pytest.mark.parametrize("suffix", sorted(FILES))
@SETTINGS
@given(ops=mutations)
def test_damaged_files_never_escape_as_exceptions(tmp_path, capsys, suffix, ops):
    path = tmp_path / f"data{suffix}"
    path.write_bytes(_mutate(FILES[suffix], ops))
    for argv in (["inspect", str(path), "--id", "sensor", "--time", "t", "--target", "label"],
                 ["doctor", str(path), "--id", "sensor", "--time", "t"]):
        code = main(argv)
        _check(code, capsys.readouterr().err, argv[0])


numbers = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["1e8", "abc", "", "-0", "0x10", "nan"]))
OPTIONS = ["--lr", "--seed", "--units", "--epochs", "--batch", "--patience", "--layers", "--val-fraction",
           "--test-fraction", "--dropout", "--crop", "--horizon", "--window", "--max-tokens", "--test-size",
           "--time-budget"]


@SETTINGS
@given(flag=st.sampled_from(OPTIONS), value=numbers)
def test_any_option_value_is_checked_before_anything_runs(tmp_path, capsys, flag, value):
    data = tmp_path / "d.csv"
    data.write_text(_csv_text())
    # a --target that is not in the file: a valid option value still stops, before any training
    argv = ["train", str(data), "--task", "classify", "--id", "sensor", "--time", "t", "--target", "nope",
            "--out", str(tmp_path / "m"), flag, str(value)]
    try:
        code = main(argv)
    except SystemExit as e:  # argparse: the value is not a number of the right type
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("seqfeed train: error: ") and lines[1].startswith("  hint: ")
    if "'nope'" not in lines[0]:  # refused for the option itself: the line names it
        assert flag in lines[0] or "argument" in lines[0]
    else:  # accepted: then the value is finite and within the documented bounds
        v = float(value)
        assert math.isfinite(v)
        if flag == "--seed":
            assert 0 <= v < 2**32
        if flag == "--units":
            assert 1 <= v <= 4096
        if flag == "--lr":
            assert 0 < v <= 10
    assert not (tmp_path / "m").exists()
