"""`seqfeed predict` / `evaluate` on the data users have: no target needed, features by name."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pyarrow.csv as pcsv
import pytest

from seqfeed.cli import main

# one trained model shared by the module: kept on one test worker
pytestmark = [pytest.mark.tf, pytest.mark.slow(seconds=20), pytest.mark.xdist_group("cli_predict_trained")]


def write_csv(path, n_ids, seed):
    """sensor, t, a, b, label: label = sign of the mean of `a` (a and b on different scales)."""
    rng = np.random.default_rng(seed)
    rows = ["sensor,t,a,b,label"]
    for k in range(n_ids):
        L = int(rng.integers(3, 8))
        a, b = rng.normal(size=L), 5 + 3 * rng.normal(size=L)
        label = "up" if a.mean() > 0 else "down"
        rows += [f"s{k:03d},{t},{a[t]:.5f},{b[t]:.5f},{label}" for t in range(L)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("predict")
    train, test = write_csv(d / "train.csv", 60, 0), write_csv(d / "test.csv", 25, 1)
    out = d / "model"
    code = main(["train", str(train), "--task", "classify", "--id", "sensor", "--time", "t", "--target", "label",
                 "--test", str(test), "--out", str(out), "--epochs", "2", "--units", "4", "--frame", "none",
                 "--normalize", "global", "--quiet", "--seed", "0"])
    assert code == 0
    table = pcsv.read_csv(test)
    # the same data as a user would bring it: no target, columns in another order
    pcsv.write_csv(table.select(["b", "t", "sensor", "a"]), d / "new_reordered.csv")
    pcsv.write_csv(table.select(["sensor", "t", "a", "b"]), d / "new.csv")
    pcsv.write_csv(table.select(["label", "b", "a", "t", "sensor"]), d / "test_reordered.csv")
    pcsv.write_csv(table.rename_columns(["sensor", "t", "a", "b_renamed", "label"]), d / "renamed.csv")
    return d, out


def _predict(capsys, model, data, out):
    code = main(["predict", str(model), str(data), "-o", str(out)])
    captured = capsys.readouterr()
    return code, captured, (pcsv.read_csv(out) if code == 0 else None)


def test_predict_needs_no_target_and_matches_features_by_name(trained, capsys):
    d, model = trained
    code, _, base = _predict(capsys, model, d / "test.csv", d / "p_base.csv")
    assert code == 0
    assert base.column_names == ["sensor", "prediction", "prob_down", "prob_up"]  # the user's id column name
    assert base.num_rows == 25 and base.column("sensor").to_pylist() == [f"s{k:03d}" for k in range(25)]
    assert set(base.column("prediction").to_pylist()) <= {"down", "up"}
    probs = np.stack([base.column("prob_down").to_numpy(), base.column("prob_up").to_numpy()], axis=1)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    for name in ("new.csv", "new_reordered.csv"):
        code, _, other = _predict(capsys, model, d / name, d / f"p_{name}")
        assert code == 0, name
        assert other.column("sensor").to_pylist() == base.column("sensor").to_pylist()
        assert other.column("prediction").to_pylist() == base.column("prediction").to_pylist()
        np.testing.assert_allclose(other.column("prob_up").to_numpy(), base.column("prob_up").to_numpy(),
                                   rtol=1e-6)


def test_a_renamed_feature_is_an_error_naming_it_and_the_expected_names(trained, capsys):
    d, model = trained
    for command in (["predict", str(model), str(d / "renamed.csv"), "-o", str(d / "x.csv")],
                    ["evaluate", str(model), str(d / "renamed.csv")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert len(lines) == 2 and "Traceback" not in err
        assert lines[0] == (f"seqfeed {command[0]}: error: {d / 'renamed.csv'} has no column 'b'; the model was "
                            f"trained on the features 'a', 'b' (matched by name, in any order). Columns in the "
                            f"file: ['sensor', 't', 'a', 'b_renamed', 'label'].")
    assert not (d / "x.csv").exists()


def test_evaluate_is_order_free_and_needs_the_target(trained, capsys):
    d, model = trained
    assert main(["evaluate", str(model), str(d / "test.csv"), "--json"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(model), str(d / "test_reordered.csv"), "--json"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert a["n"] == b["n"] == 25 and a["accuracy"] == b["accuracy"]
    assert a["log_loss"] == pytest.approx(b["log_loss"], rel=1e-6)
    assert a["accuracy"] == pytest.approx(json.loads((model / "metrics.json").read_text())["accuracy"])
    assert main(["evaluate", str(model), str(d / "new.csv")]) == 2
    err = capsys.readouterr().err
    assert "column 'label' (--target) is not in the table" in err and "hint: pass --target" in err


def test_the_model_records_and_lists_the_columns_new_data_needs(trained):
    d, model = trained
    meta = json.loads((model / "seqfeed.json").read_text())
    assert meta["feature_names"] == ["a", "b"]
    card = (model / "README.md").read_text()
    assert "## Columns new data must have" in card
    assert "- id column `sensor` and time column `t`" in card
    assert "- feature columns `a`, `b`: matched **by name**, in any order" in card
    assert "- target column `label`: needed by `evaluate`; `predict` ignores it if present" in card


def test_a_model_saved_without_feature_names_still_predicts_by_position(trained, capsys, tmp_path):
    d, model = trained
    old = tmp_path / "old_model"
    shutil.copytree(model, old)
    meta = json.loads((old / "seqfeed.json").read_text())
    meta["feature_names"] = None
    (old / "seqfeed.json").write_text(json.dumps(meta))
    code, _, a = _predict(capsys, old, d / "new.csv", tmp_path / "a.csv")
    _, _, b = _predict(capsys, model, d / "new.csv", tmp_path / "b.csv")
    assert code == 0 and a.column("prediction").to_pylist() == b.column("prediction").to_pylist()


def test_predict_output_flag_checks(trained, capsys, tmp_path):
    d, model = trained
    assert main(["predict", str(model), str(d / "new.csv"), "-o", str(tmp_path / "p.txt")]) == 2
    assert "-o must end in .csv or .parquet" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "nowhere"), str(d / "new.csv"), "-o", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert "model directory" in err and "does not exist" in err and "--out directory" in err


def test_tensorflow_log_lines_never_reach_stderr(trained):
    """A real process with TensorFlow's logging left at its defaults: stderr holds only seqfeed's lines."""
    d, model = trained
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "GLOG_minloglevel")}
    res = subprocess.run([sys.executable, "-m", "seqfeed.cli", "evaluate", str(model), str(d / "test.csv"),
                          "--json"], capture_output=True, text=True, env=env)
    assert res.returncode == 0 and res.stderr == ""
    assert json.loads(res.stdout)["n"] == 25


def test_predict_errors_speak_of_what_predict_accepts(trained, capsys, tmp_path):
    d, model = trained
    assert main(["evaluate", str(model / "README.md"), str(d / "test.csv")]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    text = tmp_path / "text.csv"
    text.write_text("sensor,t,a,b\ns1,0,1.0,x\ns1,1,2.0,y\n")
    assert main(["predict", str(model), str(text), "-o", str(tmp_path / "p.csv")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("seqfeed predict: error: read_table: feature column(s) ['b'] are not numeric")
    assert lines[1] == "  hint: the feature columns the model was trained on must hold numbers (see its README.md)"
