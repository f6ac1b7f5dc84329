"""`seqfeed train --out/--force/--resume`: output-directory rules, the lock, and exact resumption after kill -9."""
import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from seqfeed import ConfigError
from seqfeed._fs import DirLock
from seqfeed.keras._out import claim_out as _claim_out


# ------------------------------------------------------------------ --out rules (no TensorFlow)
def ns(out, **kw):
    base = dict(out=str(out), resume=False, force=False, quiet=True, task="classify", data="d.csv", seed=0,
                epochs=3)
    base.update(kw)
    return argparse.Namespace(**base)


def claim_out(args, **kw):
    """The output rules as ``seqfeed train`` applies them: the record is every option but the on/off ones."""
    record = {k: v for k, v in vars(args).items() if k not in ("resume", "force", "quiet")}
    return _claim_out(args.out, force=args.force, resume=args.resume, record=record, **kw)


def model_dir(path, text="old model"):
    path.mkdir(parents=True)
    (path / "seqfeed.json").write_text(text)
    return path


def claim(out, **kw):
    got, work, lock = claim_out(ns(out, **kw))
    lock.release()
    return got, work


def test_existing_file_is_refused_even_with_force(tmp_path):
    (tmp_path / "out").write_text("user data")
    for force in (False, True):
        with pytest.raises(ConfigError, match="is an existing file") as e:
            claim(tmp_path / "out", force=force)
        assert e.value.argument == "out" and "choose another out" in e.value.fix
    assert (tmp_path / "out").read_text() == "user data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock file, no work dir left behind


def test_directory_seqfeed_did_not_write_is_never_replaced(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    for kw in ({}, {"force": True}, {"resume": True}):
        with pytest.raises(ConfigError, match="seqfeed did not write.*not even with force=True"):
            claim(tmp_path / "out", **kw)
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_symlink_is_refused(tmp_path):
    model_dir(tmp_path / "real")
    (tmp_path / "out").symlink_to(tmp_path / "real")
    with pytest.raises(ConfigError, match="symbolic link"):
        claim(tmp_path / "out", force=True)
    assert (tmp_path / "real" / "seqfeed.json").read_text() == "old model"


@pytest.mark.parametrize("kind", ["model", "empty"])
def test_existing_output_needs_force_and_is_kept_until_the_end(tmp_path, kind):
    out = model_dir(tmp_path / "out") if kind == "model" else tmp_path / "out"
    out.mkdir(exist_ok=True)
    with pytest.raises(ConfigError, match="already holds a trained seqfeed model" if kind == "model"
                       else "already exists") as e:
        claim(out)
    assert "force=True" in e.value.fix
    got, work = claim(out, force=True)
    assert got == out and work == tmp_path / "out.partial"
    assert json.loads((work / "args.json").read_text())["out"] == str(out)
    assert out.is_dir() and ((out / "seqfeed.json").read_text() == "old model" if kind == "model" else True)


def test_second_run_into_one_out_fails_at_once_naming_the_first(tmp_path):
    _, _, lock = claim_out(ns(tmp_path / "out"))
    try:
        with pytest.raises(ConfigError, match=rf"another seqfeed run \(pid {os.getpid()}\b") as e:
            claim_out(ns(tmp_path / "out", force=True))
        assert e.value.argument == "out"
    finally:
        lock.release()
    claim(tmp_path / "out", force=True)  # free again


def test_interrupted_run_needs_resume_or_force(tmp_path):
    out = tmp_path / "out"
    _, work = claim(out)
    (work / "ckpt-1").mkdir()
    with pytest.raises(ConfigError, match="checkpoints of an interrupted run") as e:
        claim(out)
    assert "resume=True" in e.value.fix and "force=True" in e.value.fix
    with pytest.raises(ConfigError, match="same command.*differences: epochs"):
        claim(out, resume=True, epochs=4)
    assert claim(out, resume=True)[1] == work and (work / "ckpt-1").is_dir()
    claim(out, force=True)  # discards the checkpoints of the interrupted run
    assert sorted(p.name for p in work.iterdir()) == ["args.json"]
    (work / "setup.json").write_text("{}")
    claim(out)  # killed before its first checkpoint: nothing to keep, no flag needed
    assert sorted(p.name for p in work.iterdir()) == ["args.json"]
    shutil.rmtree(work)
    with pytest.raises(ConfigError, match="nothing to resume"):
        claim(out, resume=True)


def test_a_run_an_older_seqfeed_started_resumes_with_its_one_model_named(tmp_path):
    """Runs started before the automatic ensemble recorded ensemble=1 (then the default); resuming one
    with the same command names the option to add, not a vague difference."""
    out = tmp_path / "out"
    _, work = claim(out, ensemble=1)
    (work / "ckpt-1").mkdir()
    with pytest.raises(ConfigError, match="started by an older seqfeed") as e:
        claim(out, resume=True, ensemble=None)
    assert e.value.argument == "ensemble" and "ensemble=1" in e.value.fix
    assert claim(out, resume=True, ensemble=1)[1] == work
    with pytest.raises(ConfigError, match="differences: ensemble"):  # another number: the usual message
        claim(out, resume=True, ensemble=2)


def test_work_directory_seqfeed_did_not_write_is_left_alone(tmp_path):
    (tmp_path / "out.partial").mkdir()
    (tmp_path / "out.partial" / "data.csv").write_text("x")
    with pytest.raises(ConfigError, match="not written by seqfeed"):
        claim(tmp_path / "out", force=True)
    assert (tmp_path / "out.partial" / "data.csv").read_text() == "x"


def test_output_moved_aside_by_a_killed_replace_is_put_back(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    model_dir(tmp_path / f".out.old-{dead}")
    with pytest.raises(ConfigError, match="already holds a trained seqfeed model"):
        claim(tmp_path / "out")
    assert (tmp_path / "out" / "seqfeed.json").read_text() == "old model"
    assert not (tmp_path / f".out.old-{dead}").exists()


# ------------------------------------------------------------------ checkpoints, in process
def small_set(n=40, seed=0):
    import seqfeed

    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(int(rng.integers(3, 9)), 2)).astype("float32") for _ in range(n)]
    y = np.array(["up" if s[-2:, 0].mean() > 0 else "down" for s in seqs])
    return seqfeed.SequenceSet.from_sequences(seqs, targets=y)


def run_with_checkpoints(work, *, epochs, refit, stop_after=None, resume=False, seeds="restore"):
    """Train a dropout model with a Checkpointer; optionally stop after an epoch or resume from `work`."""
    import keras

    from seqfeed.keras._callbacks import Checkpointer, seed_states
    from seqfeed.keras import SequenceModel

    train, val = small_set(), small_set(16, seed=1)
    # a resumed process has done other work before: its model starts from other weights and dropout seeds
    keras.utils.set_random_seed(99 if resume else 0)
    sm = SequenceModel.for_data(train, "classify", units=4, dropout=0.3, seed=0, learning_rate=0.02)
    ck = Checkpointer(work, patience=None if refit else 2, monitor="loss" if refit else "val_loss",
                      average_from=1 if refit else None, resume=resume, seed=0)
    ck.set_model(sm.model)
    initial = 0
    if ck.resumed:
        ck.restore()
        initial = ck.epochs_done
        if seeds == "fresh":  # what reloading a .keras file gives: new dropout streams
            for v in seed_states(sm.model):
                v.assign(np.array([12345, 0], dtype=v.dtype))

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if stop_after is not None and epoch + 1 >= stop_after:
                self.model.stop_training = True

    if initial < epochs and not ck.stopped_early:
        sm.fit(train, validation=None if refit else val, epochs=epochs, batch_size=8, seed=0, verbose=0,
               callbacks=[ck, Stop()], initial_epoch=initial)
    ck.restore_best()
    return [w.copy() for w in sm.model.get_weights()], ck


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("refit", [False], ids=["early_stopping"])  # the averaged refit: the kill test below
def test_resumed_training_with_dropout_is_bit_identical(tmp_path, refit):
    ref, ref_ck = run_with_checkpoints(tmp_path / "ref", epochs=4, refit=refit)
    run_with_checkpoints(tmp_path / "run", epochs=4, refit=refit, stop_after=2)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["ckpt-2"]
    shutil.copytree(tmp_path / "run", tmp_path / "run2")
    got, ck = run_with_checkpoints(tmp_path / "run", epochs=4, refit=refit, resume=True)
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)
    assert ck.history == ref_ck.history and (ck.best, ck.best_epoch, ck.n_averaged) == \
        (ref_ck.best, ref_ck.best_epoch, ref_ck.n_averaged)
    assert ref_ck.n_averaged == (3 if refit else 0)
    # the dropout streams are part of the state: resuming with fresh ones (as a reloaded .keras file has)
    # does not reproduce the run
    bad, _ = run_with_checkpoints(tmp_path / "run2", epochs=4, refit=refit, resume=True, seeds="fresh")
    assert any(not np.array_equal(a, b) for a, b in zip(ref, bad))
    # a checkpoint resumed with another seed or into another architecture is refused, naming the cause
    from seqfeed.keras._callbacks import Checkpointer
    from seqfeed.keras import SequenceModel

    with pytest.raises(ConfigError, match="seed 0, not 7"):
        Checkpointer(tmp_path / "run", patience=2, resume=True, seed=7)
    other = SequenceModel.for_data(small_set(8), "classify", units=3)
    again = Checkpointer(tmp_path / "run", patience=2, resume=True)
    again.set_model(other.model)
    with pytest.raises(ConfigError, match="does not match this model"):
        again.restore()


@pytest.mark.tf
def test_missing_or_damaged_checkpoint_is_a_seqfeed_error(tmp_path):
    from seqfeed.keras._callbacks import Checkpointer

    with pytest.raises(ConfigError, match="no complete checkpoint"):
        Checkpointer(tmp_path, patience=None, resume=True)
    (tmp_path / "ckpt-1").mkdir()
    (tmp_path / "ckpt-1" / "state.json").write_text('{"epochs_done": 1, "sampler": {"seed": 0}}')
    (tmp_path / "ckpt-1" / "arrays.npz").write_bytes(b"not a zip file")
    with pytest.raises(ConfigError, match="ckpt-1 cannot be read"):
        Checkpointer(tmp_path, patience=None, resume=True)
    # a checkpoint of another run: see the end of test_resumed_training_with_dropout_is_bit_identical


@pytest.mark.tf
def test_model_save_replaces_only_a_seqfeed_directory(tmp_path):
    from seqfeed.keras import SequenceModel

    sm = SequenceModel.for_data(small_set(8), "classify", units=2)
    (tmp_path / "file").write_text("user data")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "notes.txt").write_text("mine")
    for target in ("file", "dir"):
        with pytest.raises(ConfigError, match="not a seqfeed model directory"):
            sm.save(tmp_path / target)
    assert (tmp_path / "file").read_text() == "user data" and (tmp_path / "dir" / "notes.txt").exists()
    sm.save(tmp_path / "m")
    (tmp_path / "m" / "seqfeed.json").write_text(json.dumps({"stale": True}))
    sm.save(tmp_path / "m")  # a seqfeed model is replaced
    assert json.loads((tmp_path / "m" / "seqfeed.json").read_text())["task"] == "classify"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "file", "m"]
    # a save killed between its two renames: the previous model is aside; load puts it back
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    os.replace(tmp_path / "m", tmp_path / f".m.old-{dead}")
    assert SequenceModel.load(tmp_path / "m").task == "classify"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "file", "m"]


# ------------------------------------------------------------------ kill -9 of real training processes
def write_csv(path, n_ids=48, seed=0):
    rng = np.random.default_rng(seed)
    rows = ["sensor,t,a,b,label"]
    for k in range(n_ids):
        L = int(rng.integers(4, 12))
        a, b = rng.normal(size=L), rng.normal(size=L)
        label = "up" if a[-3:].mean() > 0 else "down"
        rows += [f"s{k:03d},{t},{a[t]:.5f},{b[t]:.5f},{label}" for t in range(L)]
    path.write_text("\n".join(rows) + "\n")
    return path


# The killed runs are real processes; each sets TensorFlow up as this test process is set up
# (tests/conftest.py: graph optimiser off unless SEQFEED_TEST_TF_OPTIMIZER=1), so that the
# reference and the final resumed run can run in this process and still be bit-comparable.
KILLED_RUN = """
import os, sys
if os.environ.get("SEQFEED_TEST_TF_OPTIMIZER") != "1":
    import tensorflow as tf
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
from seqfeed.cli import main
sys.exit(main(sys.argv[1:]))
"""


def train_args(tmp_path, out, *extra):
    return ["train", str(tmp_path / "train.csv"), "--task", "classify", "--id", "sensor", "--time", "t",
            "--target", "label", "--test", str(tmp_path / "test.csv"), "--out", str(out), "--epochs", "6",
            "--units", "4", "--frame", "none", "--normalize", "global", "--dropout", "0.2", "--lr", "0.02",
            "--seed", "5", *extra]


def train_killed(tmp_path, out, *extra, fault):
    """A real ``seqfeed train`` process that SEQFEED_FAULT kills with SIGKILL at `fault`."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", SEQFEED_FAULT=fault)
    return subprocess.run([sys.executable, "-c", KILLED_RUN, *train_args(tmp_path, out, *extra)],
                          capture_output=True, text=True, env=env)


def train_in_process(tmp_path, out, *extra):
    from cli_run import seqfeed_in_process

    os.environ.pop("SEQFEED_FAULT", None)
    return seqfeed_in_process(*train_args(tmp_path, out, *extra), check=False)


def final_weights(out):
    import h5py

    with zipfile.ZipFile(out / "model.keras") as z:
        data = z.read("model.weights.h5")
    arrays = {}
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda name, obj: arrays.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


def without_timings(obj):
    """Everything but wall-clock durations (keys ending in "seconds"), which differ between any two runs."""
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if not k.endswith("seconds")}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj


def comparable(out):
    """metrics.json without wall-clock durations; everything else, the cheap baseline's choice and
    scores included (its budget is an estimate from the data, not the wall clock), must be identical."""
    return without_timings(json.loads((out / "metrics.json").read_text()))


KILLS = [  # (fault point, what must be on disk right after the kill)
    ("train:batch:epoch=1:batch=2", "in the middle of epoch 1, before any checkpoint"),
    ("ckpt:after_arrays:epoch=3", "inside checkpoint 3: arrays written, state not yet"),
    ("ckpt:after_rename:epoch=5", "checkpoint 5 in place, checkpoint 4 not yet removed (averaging started)"),
    ("result:written", "artefacts written, not yet moved to --out"),
]
# a kill between the two renames that put the new output in place (old --out moved aside, new one not
# yet there): test_output_moved_aside_by_a_killed_replace_is_put_back (the claim that puts it back) and
# tests/test_fs.py (a process killed inside replace_dir)


@pytest.mark.tf
@pytest.mark.slow(seconds=60)
def test_kill_9_at_four_moments_then_resume_gives_the_uninterrupted_run(tmp_path):
    write_csv(tmp_path / "train.csv", 48, seed=0)
    write_csv(tmp_path / "test.csv", 16, seed=1)
    ref = tmp_path / "ref"
    res = train_in_process(tmp_path, ref)
    assert res.returncode == 0, res.stderr
    expected, expected_w = comparable(ref), final_weights(ref)
    assert expected["epochs_run"] == 6 and expected["averaged_epochs"] == 2

    out, work = tmp_path / "out", tmp_path / "out.partial"
    shutil.copytree(ref, out)  # an earlier model at --out: replaced with --force only when the new one is whole
    (out / "seqfeed.json").write_text(json.dumps({"earlier": True}))
    for k, (fault, moment) in enumerate(KILLS):
        res = train_killed(tmp_path, out, "--force", *(["--resume"] if k else []), fault=fault)
        assert res.returncode == -signal.SIGKILL, f"{fault}: not killed\n{res.stderr}"
        names = sorted(p.name for p in work.iterdir())
        ckpts = [n for n in names if n.startswith("ckpt-")]
        if fault.startswith("train:batch"):
            assert ckpts == [], (moment, names)
        elif fault.startswith("ckpt:after_arrays"):
            assert ckpts == ["ckpt-2"] and ".ckpt-3.tmp" in names, (moment, names)
        elif fault.startswith("ckpt:after_rename"):
            assert ckpts == ["ckpt-4", "ckpt-5"], (moment, names)
            assert json.loads((work / "ckpt-5" / "state.json").read_text())["n_averaged"] == 1
        elif fault == "result:written":
            got = comparable(work / "result")
            assert got == expected, (moment, {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v})
        # until the new output is complete, --out is the earlier model, untouched
        assert json.loads((out / "seqfeed.json").read_text()) == {"earlier": True}, moment
        if k == 1:
            assert "saved no checkpoint yet: starting at epoch 1" in res.stderr
        if k == 2:
            assert "resuming at epoch 3" in res.stderr
    res = train_in_process(tmp_path, out, "--force", "--resume")
    assert res.returncode == 0, res.stderr
    got = comparable(out)
    assert got == expected, {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
    got_w = final_weights(out)
    assert got_w.keys() == expected_w.keys()
    for name in expected_w:
        np.testing.assert_array_equal(got_w[name], expected_w[name], err_msg=name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ref", "test.csv", "train.csv"]


# ------------------------------------------------------------------ the CLI: refused before TensorFlow is imported
CLI_NO_TF = """
import sys
from seqfeed.cli import main
rc = main(sys.argv[1:])
print("exit", rc, "tensorflow imported:", "tensorflow" in sys.modules)
"""


def cli_without_training(tmp_path, out):
    write_csv(tmp_path / "train.csv", 12, seed=0)
    args = ["train", str(tmp_path / "train.csv"), "--task", "classify", "--id", "sensor", "--time", "t",
            "--target", "label", "--out", str(out), "--epochs", "2"]
    return subprocess.run([sys.executable, "-c", CLI_NO_TF, *args], capture_output=True, text=True)


def test_cli_refuses_an_existing_file_before_tensorflow(tmp_path):
    (tmp_path / "out").write_text("user data")
    res = cli_without_training(tmp_path, tmp_path / "out")
    assert "exit 2 tensorflow imported: False" in res.stdout, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 2 and "is an existing file" in lines[0] and lines[1].startswith("  hint:")
    assert (tmp_path / "out").read_text() == "user data"


def test_cli_second_run_into_one_out_exits_2_naming_the_first(tmp_path):
    with DirLock(tmp_path / ".out.lock"):  # the first run holds the lock
        res = cli_without_training(tmp_path, tmp_path / "out")
    assert "exit 2 tensorflow imported: False" in res.stdout, res.stdout + res.stderr
    assert f"another seqfeed run (pid {os.getpid()}" in res.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


@pytest.mark.parametrize("checkpointed", [False, True])
def test_user_error_before_the_first_checkpoint_leaves_no_work_directory(tmp_path, monkeypatch, checkpointed):
    from seqfeed.cli import _train, build_parser
    from seqfeed.keras import _recipe

    def failing(o, loaded, test_loaded, out, work, t_start, say):
        if checkpointed:
            (work / "ckpt-1").mkdir()
        raise ConfigError("seqfeed train: --refit yes is for sequence tasks.", argument="--refit",
                          received="yes", fix="leave out --refit")

    monkeypatch.setattr(_recipe, "_fit_and_write", failing)
    write_csv(tmp_path / "train.csv", 12, seed=0)
    args = build_parser().parse_args(["train", str(tmp_path / "train.csv"), "--task", "classify", "--id", "sensor",
                                      "--time", "t", "--target", "label", "--out", str(tmp_path / "out")])
    with pytest.raises(ConfigError, match="--refit yes"):
        _train.run_train(args)
    left = sorted(p.name for p in tmp_path.iterdir())
    # the lock is released either way; checkpoints of a run that trained are kept for --resume
    assert left == (["out.partial", "train.csv"] if checkpointed else ["train.csv"])


def test_training_on_shards_follows_the_same_out_rules(tmp_path, monkeypatch):
    from seqfeed.cli import _train, build_parser
    from seqfeed.keras import _shards_recipe

    ran = []
    monkeypatch.setattr(_shards_recipe, "train_shards", lambda spec, o, out, say: ran.append(out) or (None, None))
    (tmp_path / "shards").mkdir()
    (tmp_path / "shards" / "manifest.json").write_text("{}")
    model_dir(tmp_path / "m")

    def run(*extra):
        return _train.run_train(build_parser().parse_args(["train", str(tmp_path / "shards"), "--task", "classify",
                                                           "--out", str(tmp_path / "m"), *extra]))

    with pytest.raises(ConfigError, match="already holds a trained seqfeed model"):
        run()
    with DirLock(tmp_path / ".m.lock"), pytest.raises(ConfigError, match="another seqfeed run"):
        run("--force")
    assert run("--force") == 0 and ran == [str(tmp_path / "m")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "shards"]  # no work directory, lock released
