"""The seqfeed command driven as a user would, on a long-format CSV.

The commands run in this process (exit code, stdout and stderr captured as a subprocess gives
them) so that TensorFlow starts once; tests/test_cli_predict.py runs one real process to check
that TensorFlow's own log lines never reach stderr.
"""
import json
import subprocess
import sys

import numpy as np
import pytest
from cli_run import seqfeed_in_process as seqfeed

# one trained model shared by the module: kept on one test worker
pytestmark = [pytest.mark.tf, pytest.mark.slow(seconds=60), pytest.mark.xdist_group("cli_trained")]


def write_long_csv(path, n_ids=90, seed=0):
    """sensor, t, a, b, label: label = sign of the mean of `a` over the last 3 steps."""
    rng = np.random.default_rng(seed)
    rows = ["sensor,t,a,b,label"]
    for k in range(n_ids):
        L = int(rng.integers(4, 16))
        a, b = rng.normal(size=L), rng.normal(size=L)
        label = "up" if a[-3:].mean() > 0 else "down"
        order = rng.permutation(L)  # rows out of time order: the reader must sort
        for t in order:
            rows.append(f"s{k:03d},{t},{a[t]:.5f},{b[t]:.5f},{label}")
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    train_csv = write_long_csv(d / "train.csv", 160, seed=0)
    test_csv = write_long_csv(d / "test.csv", 60, seed=1)
    out = d / "model"
    res = seqfeed("train", str(train_csv), "--task", "classify", "--id", "sensor", "--time", "t", "--target",
                  "label", "--test", str(test_csv), "--out", str(out), "--epochs", "6", "--units", "8",
                  "--frame", "none", "--normalize", "global", "--dropout", "0", "--lr", "0.01", "--seed", "3")
    return d, train_csv, test_csv, out, res


def test_train_writes_every_artefact(trained):
    d, _, _, out, res = trained
    for name in ("model.keras", "seqfeed.json", "metrics.json", "history.json", "training_curve.png",
                 "confusion_matrix.png", "README.md"):
        assert (out / name).exists(), name
    assert not (d / "model.partial").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_test"] == 60 and 0.0 <= metrics["accuracy"] <= 1.0
    assert "test: accuracy" in res.stdout
    card = (out / "README.md").read_text()
    assert "classify" in card and "restructuring" in card and "train.csv" in card
    # 160 sequences: the small-data recipe trains the final model on train + validation, weights averaged
    assert metrics["epochs_run"] == 6 and metrics["averaged_epochs"] == 2 and metrics["best_epoch"] is None
    assert "training + validation data** (160 sequences)" in card


def test_evaluate_and_predict_reload_the_model(trained):
    d, _, test_csv, out, _ = trained
    ev = json.loads(seqfeed("evaluate", str(out), str(test_csv), "--json").stdout)
    metrics = json.loads((out / "metrics.json").read_text())
    assert ev["accuracy"] == pytest.approx(metrics["accuracy"])
    pred = d / "pred.csv"
    seqfeed("predict", str(out), str(test_csv), "-o", str(pred))
    lines = pred.read_text().strip().splitlines()
    assert lines[0].startswith('"sensor","prediction","prob_down","prob_up"')  # the user's id column name
    assert len(lines) == 61
    ids = [ln.split(",")[0].strip('"') for ln in lines[1:]]
    assert sorted(ids) == [f"s{k:03d}" for k in range(60)]


def test_same_seed_same_metrics(trained, tmp_path):
    d, train_csv, test_csv, out, _ = trained
    out2 = tmp_path / "again"
    seqfeed("train", str(train_csv), "--task", "classify", "--id", "sensor", "--time", "t", "--target", "label",
            "--test", str(test_csv), "--out", str(out2), "--epochs", "6", "--units", "8", "--frame", "none",
            "--normalize", "global", "--dropout", "0", "--lr", "0.01", "--seed", "3")
    a = json.loads((out / "metrics.json").read_text())
    b = json.loads((out2 / "metrics.json").read_text())
    assert a["accuracy"] == b["accuracy"] and a["confusion_matrix"] == b["confusion_matrix"]


# after weight averaging starts (epoch 5 of 6); a resume from before it: the kill -9 test in test_cli_resume.py
@pytest.mark.parametrize("stop_after", [5])
def test_interrupted_train_leaves_nothing_and_resumes(trained, tmp_path, stop_after):
    d, train_csv, test_csv, out, _ = trained
    out3 = tmp_path / "resumed"
    args = ["train", str(train_csv), "--task", "classify", "--id", "sensor", "--time", "t", "--target", "label",
            "--test", str(test_csv), "--out", str(out3), "--epochs", "6", "--units", "8", "--frame", "none",
            "--normalize", "global", "--dropout", "0", "--lr", "0.01", "--seed", "3"]
    res = seqfeed(*args, env={"SEQFEED_INTERRUPT_AFTER_EPOCH": str(stop_after)}, check=False)
    assert res.returncode == 130 and "resume with --resume" in res.stderr
    assert not out3.exists()
    ckpt = tmp_path / "resumed.partial" / f"ckpt-{stop_after}"  # one checkpoint: the last complete epoch
    assert sorted(p.name for p in ckpt.parent.iterdir() if p.name.startswith("ckpt-")) == [ckpt.name]
    state = json.loads((ckpt / "state.json").read_text())
    assert state["epochs_done"] == stop_after and state["n_averaged"] == max(0, stop_after - 4)
    res = seqfeed(*args, "--resume")
    assert f"resuming at epoch {stop_after + 1}" in res.stderr
    a = json.loads((out / "metrics.json").read_text())
    b = json.loads((out3 / "metrics.json").read_text())
    assert b["epochs_run"] == 6 and b["averaged_epochs"] == 2
    assert a["accuracy"] == b["accuracy"] and a["log_loss"] == pytest.approx(b["log_loss"], abs=1e-6)


def test_refit_no_stops_early_on_validation(trained, tmp_path):
    d, train_csv, test_csv, _, _ = trained
    out = tmp_path / "es"
    seqfeed("train", str(train_csv), "--task", "classify", "--id", "sensor", "--time", "t", "--target", "label",
            "--test", str(test_csv), "--out", str(out), "--epochs", "6", "--units", "8", "--frame", "none",
            "--normalize", "global", "--refit", "no", "--quiet")
    m = json.loads((out / "metrics.json").read_text())
    assert 1 <= m["best_epoch"] <= m["epochs_run"] <= 6 and m["averaged_epochs"] is None
    assert "early stopping on validation loss" in (out / "README.md").read_text()


def test_user_errors_are_one_line_with_hint_and_exit_2(trained):
    d, train_csv, _, _, _ = trained
    res = seqfeed("train", str(train_csv), "--task", "classify", "--id", "sensor", "--time", "t",
                  "--target", "nope", "--out", str(d / "x"), check=False)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("seqfeed train: error:") and "nope" in lines[0]
    assert lines[1].startswith("  hint: ") and "--target" in lines[1]
    assert "Traceback" not in res.stderr
    res = seqfeed("inspect", str(d / "missing.csv"), check=False)
    assert res.returncode == 2 and "missing.csv" in res.stderr and "Traceback" not in res.stderr


def test_non_training_commands_do_not_import_tensorflow(trained):
    d, train_csv, _, _, _ = trained
    np.save(d / "x.npy", np.zeros((3, 15, 1, 1)))
    code = (
        "import sys, io, contextlib\n"
        "from seqfeed.cli import main\n"
        f"main(['inspect', {str(train_csv)!r}, '--id', 'sensor', '--time', 't', '--target', 'label', '--json'])\n"
        f"main(['doctor', {str(d / 'x.npy')!r}])\n"
        "bad = [m for m in ('tensorflow', 'keras', 'matplotlib', 'torch') if m in sys.modules]\n"
        "print('IMPORTED', bad)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "IMPORTED []" in res.stdout, res.stdout + res.stderr
    info = json.loads(res.stdout.splitlines()[0])
    assert info["sequences"] == 160 and info["features"] == 2
    assert info["targets"]["counts"].keys() == {"down", "up"}
    assert "np.squeeze" in res.stdout


def test_inspect_plot(trained):
    d, train_csv, _, _, _ = trained
    png = d / "lengths.png"
    res = seqfeed("inspect", str(train_csv), "--id", "sensor", "--time", "t", "--target", "label", "--plot", str(png))
    assert png.exists() and png.stat().st_size > 1000
    assert "padding report" in res.stdout and "bucket" in res.stdout


def _write_task_csvs(d):
    rng = np.random.default_rng(5)
    rows = ["id,t,a,b,y,tag"]
    for k in range(60):
        L = int(rng.integers(5, 15))
        a, b = rng.normal(size=L), rng.normal(size=L)
        y = 0.5 * a.sum() + b[-1]
        for t in range(L):
            rows.append(f"e{k},{t},{a[t]:.4f},{b[t]:.4f},{y:.4f},{'hi' if a[t] > 0 else 'lo'}")
    (d / "seq.csv").write_text("\n".join(rows) + "\n")
    rows = ["id,t,v,w"]
    for k in range(2):
        t = np.arange(120)
        v, w = np.sin(t / 5 + k), np.cos(t / 7)
        rows += [f"s{k},{i},{v[i]:.4f},{w[i]:.4f}" for i in range(120)]
    (d / "series.csv").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("task, extra, rows", [
    ("regress", ["--target", "y", "--features", "a,b"], 60),
    ("tag", ["--target", "tag", "--features", "a,b"], None),
    ("forecast", ["--target", "v", "--horizon", "3", "--window", "12"], 6),
])
def test_every_task_trains_evaluates_and_predicts(tmp_path, task, extra, rows):
    _write_task_csvs(tmp_path)
    data = tmp_path / ("series.csv" if task == "forecast" else "seq.csv")
    out = tmp_path / task
    seqfeed("train", str(data), "--task", task, "--time", "t", *extra, "--out", str(out), "--epochs", "2",
            "--units", "4", "--normalize", "global", "--quiet")
    metrics = json.loads((out / "metrics.json").read_text())
    assert ("accuracy" in metrics) if task == "tag" else ("mae" in metrics)
    if task == "forecast":
        assert (out / "forecast.png").exists() and metrics["naive_mae"] > 0
    ev = json.loads(seqfeed("evaluate", str(out), str(data), "--json").stdout)
    assert ev["n"] > 0
    pred = tmp_path / "p.csv"
    seqfeed("predict", str(out), str(data), "-o", str(pred))
    n_lines = len(pred.read_text().strip().splitlines()) - 1
    if rows is not None:
        assert n_lines == rows
    else:  # one row per step
        import pyarrow.csv as pcsv

        assert n_lines == pcsv.read_csv(data).num_rows
