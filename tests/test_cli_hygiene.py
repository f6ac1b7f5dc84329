"""CLI user errors: one line + one hint naming CLI flags, exit 2, before TensorFlow is imported.

Everything here runs in process (``seqfeed.cli.main``) and fails before any training, so no
test in this file imports TensorFlow.
"""
import gzip
import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from seqfeed import DataError
from seqfeed.cli import cli_words, main
from seqfeed.datasets import resolve as _data


def write_csv(path, n_ids=30, seed=0, *, target="label", blank_ids=(), nan_target_ids=()):
    """sensor, t, a, b, label (labels 'up'/'down'), plus y (a continuous number per id)."""
    rng = np.random.default_rng(seed)
    rows = ["sensor,t,a,b,label,y"]
    for k in range(n_ids):
        L = int(rng.integers(3, 7))
        a, b = rng.normal(size=L), rng.normal(size=L)
        label = "" if k in blank_ids else ("up" if a.mean() > 0 else "down")
        y = "" if k in nan_target_ids else f"{rng.normal():.5f}"
        rows += [f"s{k:03d},{t},{a[t]:.4f},{b[t]:.4f},{label},{y}" for t in range(L)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def csv(tmp_path):
    return write_csv(tmp_path / "train.csv")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, err, command, pattern):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert re.match(rf"seqfeed {command}: error: {pattern}", lines[0]), lines[0]
    assert lines[1].startswith("  hint: ")
    assert "Traceback" not in err
    # hints speak CLI, not Python keyword arguments
    assert not re.search(r"\b(target|features|nan|duplicates|id|time|level)=", err), err
    return lines


TRAIN = ["--task", "classify", "--id", "sensor", "--time", "t", "--target", "label"]


@pytest.mark.parametrize("flag, value, pattern", [
    ("--lr", "nan", r"--lr must be a finite number > 0"),
    ("--lr", "0", r"--lr must be a finite number > 0"),
    ("--lr", "inf", r"--lr must be a finite number > 0"),
    ("--seed", "-1", r"--seed must be between 0 and 4,294,967,295\. Received -1\."),
    ("--seed", str(2**32), r"--seed must be between 0 and"),
    ("--units", "100000000", r"--units must be between 1 and 4,096\. Received 100000000\."),
    ("--units", "0", r"--units must be between 1"),
    ("--epochs", "0", r"--epochs must be between 1"),
    ("--batch", "0", r"--batch must be between 1"),
    ("--patience", "-3", r"--patience must be between 1"),
    ("--layers", "1000", r"--layers must be between 1 and 64"),
    ("--val-fraction", "1.5", r"--val-fraction must be between 0 and 1"),
    ("--test-fraction", "nan", r"--test-fraction must be between 0 and 1"),
    ("--dropout", "1", r"--dropout must be in \[0, 1\)"),
    ("--crop", "0", r"--crop must be in \(0, 1\]"),
    ("--horizon", "0", r"--horizon must be between 1"),
])
def test_bad_option_values_are_one_line_errors(capsys, csv, tmp_path, flag, value, pattern):
    code, _, err = run(capsys, "train", csv, *TRAIN, "--out", tmp_path / "m", flag, value)
    lines = assert_user_error(code, err, "train", pattern)
    assert flag in lines[1]
    assert not (tmp_path / "m").exists()


def test_unparseable_option_is_one_line_and_a_hint(capsys, csv, tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["train", str(csv), *TRAIN, "--out", str(tmp_path / "m"), "--units", "1e8"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["seqfeed train: error: argument --units: invalid int value: '1e8'",
                                "  hint: see 'seqfeed train --help'"]


def test_target_typo_names_the_flag_and_the_columns(capsys, csv, tmp_path):
    code, _, err = run(capsys, "train", csv, "--task", "classify", "--id", "sensor", "--time", "t",
                       "--target", "lable", "--out", tmp_path / "m")
    lines = assert_user_error(code, err, "train", r"read_table: column 'lable' \(--target\) is not in the table")
    assert "['sensor', 't', 'a', 'b', 'label', 'y']" in lines[0]
    assert lines[1] == "  hint: pass --target with names from the available columns"


def test_cli_words_turns_keyword_arguments_into_flags():
    assert cli_words("pass nan='drop' to remove such rows, nan='ffill' to carry") == \
        "pass --nan drop to remove such rows, --nan ffill to carry"
    assert cli_words("pass features= with numeric columns only, e.g. features=['a', 'b']") == \
        "pass --features with numeric columns only, e.g. --features a,b"
    assert cli_words("column 'x' (option `id`) is missing. Received duplicates='error'.") == \
        "column 'x' (--id) is missing."
    assert cli_words("pass level='step' for one target per time step") == "use --task tag for one target per time step"
    assert cli_words("parse it first (e.g. pandas.to_datetime), or pass time=None to keep the order") == \
        "parse it first (e.g. pandas.to_datetime)"
    assert cli_words("name at least one, or pass features=None for every numeric column") == \
        "name at least one, or leave out --features for every numeric column"


def test_bad_target_fails_fast_and_never_imports_tensorflow(csv, tmp_path):
    code = textwrap.dedent(f"""
        import sys, time
        from seqfeed.cli import main
        t0 = time.process_time()
        rc = [main({["train", str(csv), "--task", "classify", "--id", "sensor", "--time", "t", "--target",
                     "nope", "--out", str(tmp_path / "m")]!r}),
              main({["train", str(csv), *TRAIN, "--out", str(tmp_path / "m"), "--lr", "nan"]!r}),
              main({["train", str(csv), "--task", "regress", "--id", "sensor", "--time", "t", "--target",
                     "label", "--out", str(tmp_path / "m")]!r}),
              main({["train", str(csv), *TRAIN, "--out", str(tmp_path / "m"), "--workers", "2"]!r})]
        took = time.process_time() - t0
        print("RESULT", rc, round(took, 3), [m for m in ("tensorflow", "keras") if m in sys.modules])
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT")][0]
    rc, took, imported = re.match(r"RESULT (\[.*\]) ([\d.]+) (\[.*\])", line).groups()
    assert rc == "[2, 2, 2, 2]" and imported == "[]", res.stdout + res.stderr
    # CPU seconds (robust to a loaded machine): about 0.4 s for all four here, most of it PyArrow's
    # import; importing TensorFlow alone costs 4 s or more of CPU
    assert float(took) < 1.5
    assert len(res.stderr.strip().splitlines()) == 8 and "Traceback" not in res.stderr


# ------------------------------------------------------------------------------------ damaged files
def _bad_files(d, csv):
    src = csv.read_text()
    files = {}
    files["dupcol.csv"] = src.replace("sensor,t,a,b,label,y", "sensor,t,a,a,label,y", 1).encode()
    files["notgzip.csv.gz"] = b"this is not gzip data\n" * 20
    gz = gzip.compress(src.encode())
    files["truncated.csv.gz"] = gz[: len(gz) // 2]
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    pq.write_table(pcsv.read_csv(csv), d / "ok.parquet")
    raw = bytearray((d / "ok.parquet").read_bytes())
    raw[100:len(raw) // 2] = b"\x55" * (len(raw) // 2 - 100)
    files["corrupt.parquet"] = bytes(raw)
    ts = "@problemName x\n@univariate true\n@classLabel true a b\n@data\n1,2,3,4:a\n1,2,3,4:b\n"
    files["truncated.ts"] = ts[:-6].encode()
    files["latin1.ts"] = ts.encode().replace(b"1,2,3,4:a", b"1,2,\xff\xfe3,4:a")
    import io

    buf = io.BytesIO()
    np.save(buf, np.zeros((3, 4, 2)))
    files["npy_named.npz"] = buf.getvalue()
    buf = io.BytesIO()
    np.savez(buf, values=np.array([{"a": 1}], dtype=object), offsets=np.array([0, 1]))
    files["pickles.npz"] = buf.getvalue()
    files["empty.npz"] = b""
    paths = {}
    for name, data in files.items():
        (d / name).write_bytes(data)
        paths[name] = d / name
    return paths


BAD = ["dupcol.csv", "notgzip.csv.gz", "truncated.csv.gz", "corrupt.parquet", "truncated.ts", "latin1.ts",
       "npy_named.npz", "pickles.npz", "empty.npz"]


@pytest.mark.parametrize("name", BAD)
@pytest.mark.parametrize("command", ["inspect", "doctor", "train"])
def test_damaged_files_are_exit_2_errors_naming_the_file(capsys, csv, tmp_path, name, command):
    path = _bad_files(tmp_path, csv)[name]
    extra = {"inspect": TRAIN[2:], "doctor": TRAIN[2:], "train": [*TRAIN, "--out", tmp_path / "m"]}[command]
    code, _, err = run(capsys, command, path, *extra)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"seqfeed {command}: error: ") and "Traceback" not in err
    assert name in lines[0]


def test_debug_shows_the_traceback_instead(csv, tmp_path):
    path = _bad_files(tmp_path, csv)["npy_named.npz"]
    with pytest.raises(DataError, match="is not a .npz archive"):
        main(["--debug", "inspect", str(path)])


# ------------------------------------------------------------------------------------ memory
def test_data_larger_than_memory_is_refused_up_front(capsys, csv, tmp_path, monkeypatch):
    monkeypatch.setattr(_data, "available_memory", lambda: 1000)
    rows, need = _data.estimate_table_bytes(csv, 2)
    assert rows == pytest.approx(len(csv.read_text().splitlines()), rel=0.2)
    assert need == rows * (4 * 2 + 48)
    code, _, err = run(capsys, "train", csv, *TRAIN, "--out", tmp_path / "m")
    lines = assert_user_error(code, err, "train", r".*train\.csv needs about \d+ KiB of memory once read; 1000 bytes is available")
    code, _, err = run(capsys, "inspect", csv, *TRAIN[2:])
    assert code == 2 and "needs about" in err
    monkeypatch.setattr(_data, "available_memory", lambda: 10**12)
    code, out, err = run(capsys, "inspect", csv, *TRAIN[2:], "--json")
    assert code == 0 and json.loads(out)["sequences"] == 30


def test_gzip_size_comes_from_the_trailer(csv, tmp_path):
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(csv.read_bytes()))
    assert _data.estimate_table_bytes(gz, 2)[0] == pytest.approx(_data.estimate_table_bytes(csv, 2)[0], rel=0.01)


def test_available_memory_reads_meminfo():
    avail = _data.available_memory()
    assert avail is None or avail > 10 * 2**20


# ------------------------------------------------------------------------------------ targets
def test_missing_labels_are_an_error_naming_the_ids(capsys, tmp_path):
    csv = write_csv(tmp_path / "m.csv", blank_ids=(3, 17))
    code, _, err = run(capsys, "train", csv, *TRAIN, "--out", tmp_path / "m")
    lines = assert_user_error(code, err, "train", r"2 ids in .*m\.csv have no value in the target column 'label'")
    assert "'s003', 's017'" in lines[0] and "--drop-missing-targets" in lines[1]


def test_missing_numeric_targets_are_an_error_naming_the_ids(capsys, tmp_path):
    csv = write_csv(tmp_path / "m.csv", nan_target_ids=(5,))
    code, _, err = run(capsys, "train", csv, "--task", "regress", "--id", "sensor", "--time", "t", "--target", "y",
                       "--features", "a,b", "--out", tmp_path / "m")
    lines = assert_user_error(code, err, "train", r"1 id in .*m\.csv has no value in the target column 'y'")
    assert "'s005'" in lines[0]


@pytest.mark.parametrize("kind", ["blank", "null"])
def test_drop_missing_targets_leaves_those_ids_out(tmp_path, kind):
    csv = write_csv(tmp_path / "m.csv", blank_ids=(3, 17) if kind == "blank" else (),
                    nan_target_ids=(3, 17) if kind == "null" else ())
    target = "label" if kind == "blank" else "y"
    opts = {"id": "sensor", "time": "t", "target": target, "features": ["a", "b"], "nan": "error",
            "duplicates": "error", "missing_targets": "drop"}
    loaded = _data.load(str(csv), task="classify" if kind == "blank" else "regress", options=opts)
    assert len(loaded.seqs) == 28 and loaded.dropped_ids == ["s003", "s017"]
    assert "s003" not in set(loaded.seqs.ids) and "" not in set(np.asarray(loaded.seqs.targets).astype(str))


def test_inspect_reports_missing_labels(capsys, tmp_path):
    csv = write_csv(tmp_path / "m.csv", blank_ids=(3,))
    code, out, _ = run(capsys, "inspect", csv, *TRAIN[2:], "--json")
    info = json.loads(out)
    assert code == 0 and info["sequences"] == 29
    assert set(info["targets"]["counts"]) == {"down", "up"}  # no class named ''
    assert any("no value in the target column 'label'" in f and "'s003'" in f for f in info["findings"])


def test_continuous_target_for_classify_suggests_regress(capsys, csv, tmp_path):
    code, _, err = run(capsys, "train", csv, "--task", "classify", "--id", "sensor", "--time", "t", "--target", "y",
                       "--features", "a,b", "--out", tmp_path / "m")
    lines = assert_user_error(code, err, "train", r"target 'y' of .* holds 30 distinct non-integer numbers for 30 "
                                                  r"sequences")
    assert lines[1] == "  hint: use --task regress to predict the number"


def test_text_target_for_regress_suggests_classify(capsys, csv, tmp_path):
    code, _, err = run(capsys, "train", csv, "--task", "regress", "--id", "sensor", "--time", "t", "--target",
                       "label", "--out", tmp_path / "m")
    lines = assert_user_error(code, err, "train", r"target 'label' of .* holds text \(e\.g\. '(up|down)'\)")
    assert lines[1] == "  hint: use --task classify to predict the labels"


@pytest.mark.parametrize("values, expected", [
    (np.linspace(0.1, 9.9, 40), True),                      # 40 distinct fractional values for 40 ids
    (np.repeat([0.5, 1.5, 2.5], 10), False),                # 3 distinct values: classes
    (np.arange(40, dtype=float), False),                    # whole numbers: could be class codes
    (np.array(["a", "b"] * 5), False),
    (np.linspace(0.1, 0.9, 9), False),                      # fewer than 10 distinct values
])
def test_looks_continuous_rule(values, expected):
    assert _data.looks_continuous(values) is expected


# ------------------------------------------------------------------------------------ doctor / inspect
def test_doctor_and_inspect_report_what_they_work_around(capsys, tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("id,time,x,name\na,0,1,u\na,1,,v\nb,0,2,w\nb,1,3,z\nb,1,4,z\n")
    code, out, _ = run(capsys, "doctor", p)
    assert code == 1 and "OK: usable" not in out
    problems = [ln for ln in out.splitlines() if ln.startswith("PROBLEM:")]
    assert len(problems) == 3
    assert any("repeats 1 for id 'b'" in ln for ln in problems)
    assert any("column 'x' holds NaN" in ln for ln in problems)
    assert any("non-numeric column(s) ['name']" in ln for ln in problems)
    code, out, _ = run(capsys, "inspect", p, "--json")
    findings = json.loads(out)["findings"]
    assert code == 0 and len(findings) == 3 and "findings: none" not in out


def test_doctor_says_ok_for_a_clean_csv(capsys, tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("id,time,x\na,0,1\na,1,2\nb,0,2\nb,1,3\n")
    code, out, _ = run(capsys, "doctor", p)
    assert code == 0 and "OK: usable as an LSTM input." in out and "PROBLEM" not in out


def test_warnings_are_one_line_with_flags(capsys, tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("id,time,x,name,label\na,0,1,u,p\na,1,2,v,p\nb,0,1,u,q\n")
    code, out, err = run(capsys, "train", p, "--task", "regress", "--target", "label", "--out", tmp_path / "m")
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err and len(lines) == 3
    assert lines[0] == ("seqfeed train: warning: read_table: skipping non-numeric column(s) ['name']; features "
                        "are ['x']. Pass --features to choose the columns and silence this warning.")
    assert lines[1].startswith("seqfeed train: error: target 'label'")


def test_an_allocation_that_fails_anyway_is_one_line(capsys, csv, monkeypatch):
    import seqfeed.cli._inspect as ins

    def boom(args):
        raise getattr(np, "_core", None)._exceptions._ArrayMemoryError((10**12,), np.dtype("float32"))

    monkeypatch.setattr(ins, "run_inspect", boom)
    code, _, err = run(capsys, "inspect", csv)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 2 and "Traceback" not in err
    assert lines[0].startswith("seqfeed inspect: error: out of memory: Unable to allocate 3.64 TiB")


def test_a_single_class_is_refused_before_training(capsys, tmp_path):
    p = tmp_path / "one.csv"
    p.write_text("id,time,x,label\n" + "".join(f"e{k},{t},{k + t},up\n" for k in range(6) for t in range(3)))
    code, _, err = run(capsys, "train", p, "--task", "classify", "--target", "label", "--out", tmp_path / "m")
    lines = assert_user_error(code, err, "train", r"target 'label' of .*one\.csv has a single class \('up'\)")
    assert "--target" in lines[1]


def test_errors_without_a_fix_still_get_a_hint_with_the_flag(capsys, csv, monkeypatch):
    import seqfeed.cli._inspect as ins
    from seqfeed import ConfigError

    def fail(args):
        raise ConfigError("read_table: `target` must be a column name. Received: target=''.", argument="target")

    monkeypatch.setattr(ins, "run_inspect", fail)
    code, _, err = run(capsys, "inspect", csv)
    assert code == 2
    assert err.splitlines() == ["seqfeed inspect: error: read_table: --target must be a column name. Received: "
                                "--target ''.", "  hint: check --target (see 'seqfeed inspect --help')"]


def test_a_test_file_without_a_training_feature_is_refused_before_training(capsys, csv, tmp_path):
    test = tmp_path / "test.csv"
    test.write_text(csv.read_text().replace("sensor,t,a,b,label,y", "sensor,t,a,bee,label,y", 1))
    code, _, err = run(capsys, "train", csv, *TRAIN, "--features", "a,b", "--test", test, "--out", tmp_path / "m")
    lines = assert_user_error(code, err, "train", r".*test\.csv has no column 'b'; the training data .*train\.csv "
                                                 r"has the features 'a', 'b' \(matched by name, in any order\)")
    assert lines[1] == "  hint: give both files the same feature columns"


@pytest.mark.parametrize("argv, first", [
    (["--batch-size", "0"], "seqfeed inspect: error: --batch-size must be between 1 and 1,000,000. Received 0."),
    (["--features", ","], "seqfeed inspect: error: read_table: --features is empty. Received: --features ''."),
    (["--features", "a,a"], "seqfeed inspect: error: read_table: --features names ['a'] more than once."),
])
def test_inspect_option_errors(capsys, csv, argv, first):
    code, _, err = run(capsys, "inspect", csv, "--id", "sensor", "--time", "t", *argv)
    assert code == 2 and err.splitlines()[0] == first and len(err.splitlines()) == 2


def test_workers_without_shards_is_refused_before_tensorflow(capsys, csv, tmp_path):
    code, _, err = run(capsys, "train", csv, *TRAIN, "--out", tmp_path / "m", "--workers", "2")
    lines = assert_user_error(code, err, "train", r"--workers 2 needs sequence shards; .* is not a shards directory\.")
    assert "seqfeed pack" in lines[1]
    assert not (tmp_path / "m").exists()


def test_pack_option_errors_name_the_flag_not_the_keyword(capsys, csv, tmp_path):
    code, _, err = run(capsys, "pack", csv, "--id", "sensor", "--time", "t", "--out", tmp_path / "sh",
                       "--memory", "lots")
    lines = assert_user_error(code, err, "pack", r"pack: --memory must be a size .* Received: --memory lots\.")
    assert lines[1] == "  hint: pass e.g. --memory 1GiB" and "memory=" not in err
    assert not (tmp_path / "sh").exists()
