"""SequenceModel on padded Batches, features matched by name, and the pre-padding guard."""
import dataclasses

import numpy as np
import pytest

import seqfeed
from seqfeed import ConfigError, SequenceSet, ShapeError

# one trained model shared by the module: kept on one test worker
pytestmark = [pytest.mark.tf, pytest.mark.xdist_group("model_api_trained")]


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for _ in range(n):
        L = int(rng.integers(3, 9))
        x = rng.normal(size=(L, 2)).astype(np.float32)
        seqs.append(x)
        labels.append("up" if x[:, 0].mean() > 0 else "down")
    return SequenceSet.from_sequences(seqs, targets=np.array(labels), feature_names=["a", "b"])


@pytest.fixture(scope="module")
def model():
    from seqfeed.keras import SequenceModel

    train = _data()
    sm = SequenceModel.for_data(train, "classify", units=4, seed=1)
    sm.fit(train, epochs=1, batch_size=16, verbose=0)
    return sm


def _batch_with_codes(sm, s):
    b = seqfeed.pad(s)
    return dataclasses.replace(b, y=sm.encode_labels(s.targets, "test"))


def test_for_data_refuses_pre_padding_with_a_conv_restructure():
    from seqfeed.keras import SequenceModel

    with pytest.raises(ConfigError, match=r"Conv1D front-end .* needs padding='post'\. Received: padding='pre'"):
        SequenceModel.for_data(_data(8), "classify", units=2, padding="pre", restructure="conv:2")
    with pytest.raises(ConfigError, match="needs padding='post'"):
        SequenceModel.for_data(_data(8), "classify", units=2, padding="pre", conv_filters=4)
    # post padding with the same restructuring builds
    sm = SequenceModel.for_data(_data(8), "classify", units=2, padding="post", restructure="conv:2")
    assert any("conv" in layer.name for layer in sm.model.layers)


def test_fit_on_a_batch_uses_batch_and_set_validation_data(model):
    from seqfeed.keras import SequenceModel

    train, val = _data(32, seed=2), _data(16, seed=3)
    sm = SequenceModel.for_data(train, "classify", units=4, seed=1)
    hist = sm.fit(_batch_with_codes(sm, train), validation=_batch_with_codes(sm, val), epochs=2, verbose=0)
    assert len(hist.history["val_loss"]) == 2 and np.all(np.isfinite(hist.history["val_loss"]))
    # the reported validation loss is the loss on exactly that data
    assert hist.history["val_loss"][-1] == pytest.approx(sm.evaluate(val)["log_loss"], rel=1e-3)
    hist = sm.fit(_batch_with_codes(sm, train), validation=val, epochs=1, verbose=0)
    assert len(hist.history["val_loss"]) == 1


def test_evaluate_on_a_batch_equals_evaluate_on_the_set(model):
    test = _data(20, seed=4)
    by_set = model.evaluate(test)
    by_codes = model.evaluate(_batch_with_codes(model, test))
    by_labels = model.evaluate(dataclasses.replace(seqfeed.pad(test), y=test.targets))
    for res in (by_codes, by_labels):
        assert res["n"] == 20
        assert res["accuracy"] == by_set["accuracy"]
        assert res["log_loss"] == pytest.approx(by_set["log_loss"], rel=1e-5)


def test_evaluate_on_a_batch_without_targets_is_a_seqfeed_error(model):
    with pytest.raises(seqfeed.SeqfeedError, match=r"the Batch has no targets"):
        model.evaluate(seqfeed.pad(_data(4).to_list()))


def test_features_are_matched_by_name_not_position(model):
    test = _data(20, seed=5)
    swapped = SequenceSet(test.values[:, ::-1].copy(), test.offsets, targets=test.targets,
                          feature_names=["b", "a"])
    np.testing.assert_allclose(model.predict_raw(swapped), model.predict_raw(test), rtol=1e-6, atol=1e-7)
    renamed = SequenceSet(test.values, test.offsets, feature_names=["a", "c"])
    with pytest.raises(ShapeError, match=r"no feature 'b'; expected 'a', 'b' \(matched by name"):
        model.predict(renamed)
    unnamed = SequenceSet(test.values, test.offsets)  # no names: taken in column order
    np.testing.assert_allclose(model.predict_raw(unnamed), model.predict_raw(test), rtol=1e-6, atol=1e-7)


def test_saved_model_keeps_its_feature_names(model, tmp_path):
    from seqfeed.keras import SequenceModel

    model.save(tmp_path / "m")
    again = SequenceModel.load(tmp_path / "m")
    assert again.feature_names == ["a", "b"]
