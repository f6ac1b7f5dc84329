import json
import subprocess
import sys

import numpy as np
import pytest

import seqfeed
from seqfeed.batching import BatchLoader, BucketSampler

pytestmark = pytest.mark.tf


def last_step_problem(n, seed, max_len=30):
    """Label = sign of the LAST real step's first feature: padding mistakes cost accuracy."""
    rng = np.random.default_rng(seed)
    seqs, y = [], []
    for L in rng.integers(3, max_len, n):
        s = rng.normal(size=(L, 2)).astype("float32")
        s[rng.integers(0, L - 1)] = 0.0  # real all-zero steps, not at the end
        seqs.append(s)
        y.append(int(s[-1, 0] > 0))
    return seqfeed.SequenceSet.from_sequences(seqs, targets=np.array(y))


def _count_traces(model):
    count = {"n": 0}
    original = model.train_step

    def counting(data):
        count["n"] += 1  # Python code in a traced step runs only while tracing
        return original(data)

    model.train_step = counting
    return count


# post: the last real step sits at a different position in every row, so only the length mask finds
# it (pre-padded training: tests/test_keras_proof.py::test_output_independent_of_padding_after_training)
@pytest.mark.parametrize("padding", ["post"])
def test_classifier_on_last_step_problem_reaches_095(padding):
    from seqfeed.keras import SequenceModel

    train, test = last_step_problem(1200, 0), last_step_problem(400, 1)
    sm = SequenceModel.for_data(train, "classify", units=24, padding=padding, seed=0,
                                learning_rate=5e-3)
    traces = _count_traces(sm.model)
    sm.fit(train, epochs=8, batch_size=32, verbose=0)
    acc = sm.evaluate(test)["accuracy"]
    assert acc >= 0.95, acc
    # 40 batches x 8 epochs of varying time_steps: the train step is traced once
    assert traces["n"] <= 2


def test_pydataset_with_variable_time_steps_does_not_retrace():
    import keras

    from seqfeed.keras import KerasDataset, build_lstm, compile_for_task

    train = last_step_problem(256, 2)
    loader = BatchLoader(train, BucketSampler(train.lengths, batch_size=16, seed=0))
    T = [int(train.lengths[b].max()) for b in loader.sampler.batches()]
    assert len(set(T)) > 3
    model = compile_for_task(build_lstm("classify", n_features=2, n_outputs=2, units=8, seed=0), "classify")
    traces = _count_traces(model)
    ds = KerasDataset(loader)
    model.fit(ds, epochs=2, verbose=0)
    assert traces["n"] <= 2
    keras.backend.clear_session()


def test_batch_passed_directly_to_fit_predict_evaluate():
    from seqfeed.keras import SequenceModel

    train = last_step_problem(64, 3)
    sm = SequenceModel.for_data(train, "classify", units=4, seed=0)
    batch = seqfeed.pad(sm.prepare(train))
    hist = sm.fit(batch, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2
    out = sm.predict_raw(batch)
    assert out.shape == (64, 2)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(sm.predict_raw(train), out, atol=1e-5)  # same result, other batching
    res = sm.evaluate(batch)
    assert res["n"] == 64
    # the metrics are those of the predictions above, against the batch's own targets
    assert res["accuracy"] == pytest.approx(np.mean(out.argmax(axis=1) == batch.y))
    p_true = out[np.arange(64), batch.y.astype(int)]
    assert res["log_loss"] == pytest.approx(-np.mean(np.log(np.clip(p_true.astype(np.float64), 1e-12, 1.0))), rel=1e-4)
    by_set = sm.evaluate(train)  # and equal those of the unpadded set
    assert res["accuracy"] == by_set["accuracy"]
    assert res["log_loss"] == pytest.approx(by_set["log_loss"], rel=1e-4)


TASKS = ["classify", "regress", "tag", "forecast"]


@pytest.fixture(scope="module")
def reloaded_in_fresh_process(tmp_path_factory):
    """One saved model per task, and what ONE fresh process (TensorFlow started once) predicts
    after loading each: ``{task: (predictions before saving, after loading, model directory)}``."""
    from seqfeed.keras import SequenceModel

    d = tmp_path_factory.mktemp("reload")
    runs = {}
    for task in TASKS:
        rng = np.random.default_rng(0)
        seqs = [rng.normal(size=(n, 3)).astype("float32") for n in rng.integers(2, 15, 40)]
        if task == "classify":
            data = seqfeed.SequenceSet.from_sequences(seqs, targets=np.array(["a", "b", "c", "d"] * 10))
        elif task == "regress":
            data = seqfeed.SequenceSet.from_sequences(seqs, targets=rng.normal(size=40))
        elif task == "forecast":
            data = seqfeed.SequenceSet.from_sequences(seqs, targets=rng.normal(size=(40, 4)))
        else:
            data = seqfeed.SequenceSet.from_sequences(seqs,
                                                      step_targets=[rng.integers(0, 3, len(s)) for s in seqs])
        # weights as initialised (seeded, all non-zero): what a reload must give back is every
        # weight and the preprocessing, not a trained model
        sm = SequenceModel.for_data(data, task, units=5, bidirectional=True, seed=0)
        out = sm.save(d / task)
        np.savez(d / f"{task}.npz", values=data.values, offsets=data.offsets)
        runs[task] = (sm.predict_raw(data), out)
    code = f"""
import json, sys, numpy as np, seqfeed
from seqfeed.keras import SequenceModel
after = {{}}
for task in {TASKS!r}:
    d = np.load({str(d)!r} + f"/{{task}}.npz")
    s = seqfeed.SequenceSet(d['values'], d['offsets'])
    r = SequenceModel.load({str(d)!r} + f"/{{task}}").predict_raw(s)
    after[task] = [a.tolist() for a in r] if isinstance(r, list) else r.tolist()
print(json.dumps(after))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    after = json.loads(res.stdout.strip().splitlines()[-1])
    return {task: (before, after[task], out) for task, (before, out) in runs.items()}


@pytest.mark.slow(seconds=30)
@pytest.mark.xdist_group("reload_in_fresh_process")
@pytest.mark.parametrize("task", TASKS)
def test_save_load_reproduces_predictions_in_fresh_process(task, reloaded_in_fresh_process):
    before, after, out = reloaded_in_fresh_process[task]
    if task == "tag":
        assert len(after) == len(before)
        for a, b in zip(after, before):
            np.testing.assert_array_equal(np.asarray(a, np.float32), b)
    else:
        np.testing.assert_array_equal(np.asarray(after, np.float32), before)
    meta = json.loads((out / "seqfeed.json").read_text())
    assert meta["task"] == task and meta["padding"] == "post"


def test_unknown_label_and_wrong_feature_count_are_named():
    from seqfeed.keras import SequenceModel

    train = seqfeed.SequenceSet.from_sequences([np.ones((2, 2)), np.ones((3, 2))], targets=["x", "y"])
    sm = SequenceModel.for_data(train, "classify", units=2)
    with pytest.raises(seqfeed.DataError, match=r"label 'z' \(at 1\) was not seen in training"):
        sm.evaluate(seqfeed.SequenceSet.from_sequences([np.ones((2, 2)), np.ones((3, 2))], targets=["x", "z"]))
    with pytest.raises(seqfeed.ShapeError, match=r"the data has 3 features per step; this model was trained on 2"):
        sm.predict([np.ones((2, 3))])


def test_balanced_weights_flow_through_tf_data():
    from seqfeed.batching import AdaptiveSampler
    from seqfeed.keras import build_lstm, compile_for_task, to_tf_dataset

    train = last_step_problem(128, 4)
    def make():
        return to_tf_dataset(BatchLoader(train, AdaptiveSampler(train.lengths, max_batch_size=24, seed=0),
                                         balance=True))

    x, y, w = next(iter(make()))  # a separate dataset: peeking advances the sampler of the one we train on
    assert w.shape.rank == 1 and int(w.shape[0]) == int(x["x"].shape[0])
    ds = make()
    model = compile_for_task(build_lstm("classify", n_features=2, n_outputs=2, units=4, seed=0), "classify")
    hist = model.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])


def test_checkpointer_averages_the_weights_of_the_last_epochs(tmp_path):
    """Weight averaging: the run ends with the exact mean of the weights after epochs E.. (and never stops early)."""
    import keras

    from seqfeed.keras._callbacks import Checkpointer

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 3)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append([w.copy() for w in self.model.get_weights()])

    ckpt = Checkpointer(tmp_path, patience=None, monitor="loss", average_from=3)
    model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[Record(), ckpt])
    assert len(seen) == 6 and ckpt.n_averaged == 3 and not ckpt.stopped_early
    last = [w.copy() for w in model.get_weights()]
    ckpt.restore_best()
    for got, *per_epoch in zip(model.get_weights(), *seen[3:]):
        np.testing.assert_allclose(got, np.mean(per_epoch, axis=0), rtol=1e-6, atol=1e-7)
    assert any(not np.allclose(a, b) for a, b in zip(model.get_weights(), last))
    # a resumed checkpointer continues the same running mean
    again = Checkpointer(tmp_path, patience=None, monitor="loss", average_from=3, resume=True)
    assert again.n_averaged == 3
    for a, b in zip(again._avg, ckpt._avg):
        np.testing.assert_array_equal(a, b)


def _acc_checkpointer(tmp_path, accuracies, *, resume=False, **kw):
    """A Checkpointer on a tiny model, fed epoch ends whose training accuracy is ``accuracies``."""
    import keras

    from seqfeed.keras._callbacks import Checkpointer

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.optimizer.build(model.trainable_variables)
    said = []
    ckpt = Checkpointer(tmp_path, patience=None, monitor="loss", resume=resume, on_extend=said.append, **kw)
    ckpt.set_model(model)
    model.stop_training = False
    stopped_at = None
    start = ckpt.epochs_done
    for epoch, acc in enumerate(accuracies[start:], start=start):
        ckpt.on_epoch_end(epoch, {"loss": 1.0 - acc, "sparse_categorical_accuracy": acc})
        if model.stop_training:
            stopped_at = epoch + 1
            break
    return ckpt, said, stopped_at


@pytest.mark.parametrize("accuracy, extended", [(0.80, True), (0.949, True), (0.95, False), (1.0, False)])
def test_an_underfitting_refit_doubles_its_epochs_once_before_averaging(tmp_path, accuracy, extended):
    """Planned 12 epochs, averaging from epoch 9 (0-based 8): the decision reads the mean training
    accuracy of epochs 7..8 (12 // 6 = 2) at the end of epoch 8, before any weights are averaged."""
    ext = {"to": 24, "below": 0.95, "metric": "sparse_categorical_accuracy"}
    accs = [0.1] * 6 + [accuracy] * 100  # low early epochs are not in the window
    ckpt, said, stopped_at = _acc_checkpointer(tmp_path, accs, epochs=12, average_from=8, extend=ext)
    if extended:
        assert stopped_at == 24 and ckpt.epochs == 24 and ckpt.average_from == 24 - 8
        assert ckpt.n_averaged == 8  # the last third of the extended run
        assert {k: v for k, v in ckpt.extension.items() if k != "seconds_per_epoch"} == {
            "from": 12, "to": 24, "at_epoch": 8, "train_accuracy": round(accuracy, 4), "window": 2, "below": 0.95,
            "wanted": 24}
        assert said == [ckpt.extension]
    else:
        assert stopped_at == 12 and ckpt.epochs == 12 and ckpt.n_averaged == 4
        assert ckpt.extension is None and said == []


def test_an_extension_survives_a_resume_and_is_decided_once(tmp_path):
    ext = {"to": 24, "below": 0.95, "metric": "sparse_categorical_accuracy"}
    first, _, _ = _acc_checkpointer(tmp_path, [0.5] * 10, epochs=12, average_from=8, extend=ext)
    assert first.epochs_done == 10 and first.extension is not None  # "killed" after epoch 10
    # the resumed run is built from the original plan, and the checkpoint puts the extension back
    again, said, stopped_at = _acc_checkpointer(tmp_path, [0.5] * 30, resume=True, epochs=12, average_from=8,
                                                extend=ext)
    assert again.epochs == 24 and again.average_from == 16 and again.extension == first.extension
    assert stopped_at == 24 and again.n_averaged == 8 and said == []


def test_without_extend_the_checkpointer_ends_at_the_planned_epochs(tmp_path):
    ckpt, said, stopped_at = _acc_checkpointer(tmp_path, [0.1] * 30, epochs=5, average_from=3)
    assert stopped_at == 5 and ckpt.n_averaged == 2 and ckpt.extension is None and said == []


@pytest.mark.parametrize("room_epochs, to", [(100, 24), (9, 17), (4, 12), (0, 12)])
def test_an_extension_takes_only_the_epochs_that_fit_before_the_deadline(tmp_path, monkeypatch, room_epochs, to):
    """Epochs of 2 s on a fake clock; the decision comes after epoch 8 of 12, and the deadline leaves
    room for ``room_epochs`` more epochs from there, the 4 planned ones included: the run goes to
    ``min(24, 8 + room)`` epochs and ends by the deadline; without room for more than the plan it
    keeps 12 and records why."""
    import seqfeed.keras._callbacks as cb

    clock = {"t": 0.0}
    monkeypatch.setattr(cb.time, "monotonic", lambda: clock["t"])
    ext = {"to": 24, "below": 0.95, "metric": "sparse_categorical_accuracy", "deadline": 16.0 + 2.0 * room_epochs + 1}
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    ckpt = cb.Checkpointer(tmp_path, patience=None, monitor="loss", epochs=12, average_from=8, extend=ext)
    ckpt.set_model(model)
    model.stop_training = False
    epoch = 0
    while not model.stop_training:
        ckpt.on_epoch_begin(epoch)
        clock["t"] += 2.0
        ckpt.on_epoch_end(epoch, {"loss": 0.5, "sparse_categorical_accuracy": 0.5})
        epoch += 1
    assert epoch == to == ckpt.epochs
    if to > 12:
        assert clock["t"] <= ext["deadline"]  # the extended fit ends in time
    assert ckpt.extension["to"] == to and ckpt.extension["wanted"] == 24 and ckpt.extension["seconds_per_epoch"] == 2.0
    assert ckpt.n_averaged == (to // 3 if to > 12 else 4)
