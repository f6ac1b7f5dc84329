"""The masked multi-scale Conv1D front-end: spec syntax, mask from lengths, saving, and its place in the search."""
import argparse
import json

import numpy as np
import pytest

import seqfeed
from seqfeed.transforms import Restructure, frame_lengths


# ------------------------------------------------------------------ no TensorFlow
def test_msconv_spec_is_read_described_and_leaves_the_data_to_the_model():
    spec = Restructure.parse("msconv:8")
    assert spec == Restructure("msconv", 8) and spec.in_model
    assert spec.describe() == "masked multi-scale Conv1D front-end (stride 8) in the model"
    s = seqfeed.SequenceSet.from_sequences([np.arange(5.0), np.arange(3.0)])
    out = spec.apply(s)
    np.testing.assert_array_equal(out.values, s.values)
    np.testing.assert_array_equal(out.offsets, s.offsets)


@pytest.mark.parametrize("bad", ["msconv", "msconv:0", "msconv:2:2", "msconv:x"])
def test_bad_msconv_specs_are_config_errors(bad):
    with pytest.raises(seqfeed.ConfigError, match=r"^Restructure.parse: cannot read ") as e:
        Restructure.parse(bad)
    assert e.value.argument == "text" and e.value.received == bad


def test_msconv_is_the_first_candidate_for_long_sequences_only():
    from seqfeed.keras._choose import msconv_size, restructure_candidates

    assert restructure_candidates(99) == [Restructure()]
    assert restructure_candidates(100)[0] == Restructure("msconv", 2)
    assert Restructure("frame", 3) in restructure_candidates(150)
    cands = restructure_candidates(1460)
    assert cands[0] == Restructure("msconv", 23) and msconv_size(1460) == 23
    assert Restructure("conv", 23) in cands and len(cands) == len({str(c) for c in cands})


# ------------------------------------------------------------------ TensorFlow
@pytest.mark.tf
@pytest.mark.parametrize("stride", [1, 2, 5])
def test_output_mask_is_ceil_length_over_stride(stride):
    from seqfeed.keras import MaskedMultiScaleConv1D

    lengths = np.array([1, 4, 5, 6, 11, 17])
    b = seqfeed.pad([np.ones((n, 2), "float32") for n in lengths])
    layer = MaskedMultiScaleConv1D(3, stride, seed=0)
    h, mask_out = layer(b.x, b.mask)
    T_out = -(-b.x.shape[1] // stride)
    assert tuple(h.shape) == (len(lengths), T_out, 9)
    np.testing.assert_array_equal(np.asarray(mask_out).sum(axis=1), frame_lengths(lengths, stride))
    assert np.all(np.asarray(h)[~np.asarray(mask_out)] == 0.0)  # padded output steps are zero


@pytest.mark.tf
def test_builder_refuses_strided_tagging_and_two_front_ends():
    from seqfeed.keras import build_lstm

    with pytest.raises(seqfeed.ConfigError, match=r"msconv_stride must be 1"):
        build_lstm("tag", n_features=1, n_outputs=2, msconv_filters=4, msconv_stride=2)
    with pytest.raises(seqfeed.ConfigError, match=r"choose one front-end"):
        build_lstm("classify", n_features=1, n_outputs=2, msconv_filters=4, conv_filters=4)


@pytest.mark.tf
def test_model_with_msconv_saves_and_loads_with_the_same_predictions(tmp_path):
    from seqfeed.keras import SequenceModel

    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, 1)) for n in rng.integers(5, 40, 20)]
    train = seqfeed.SequenceSet.from_sequences(seqs, targets=np.arange(20) % 2)
    sm = SequenceModel.for_data(train, "classify", units=4, seed=0, restructure="msconv:4")
    assert sm.model.get_layer("msconv_front").get_config()["widths"] == [4, 9, 17]
    p = sm.predict_raw(train)
    back = SequenceModel.load(sm.save(tmp_path / "m"))
    assert back.restructure == Restructure("msconv", 4)
    np.testing.assert_allclose(back.predict_raw(train), p, atol=1e-6)
    # saved as the text form; the dict form of models saved before Restructure existed still loads
    meta_file = tmp_path / "m" / "seqfeed.json"
    meta = json.loads(meta_file.read_text())
    assert meta["restructure"] == "msconv:4"
    meta["restructure"] = {"kind": "msconv", "size": 4}
    meta_file.write_text(json.dumps(meta))
    assert SequenceModel.load(tmp_path / "m").restructure == Restructure("msconv", 4)


@pytest.mark.tf
def test_search_tries_msconv_even_when_the_budget_is_spent_at_once(monkeypatch):
    from seqfeed.keras._choose import choose_setup
    from seqfeed.keras._tasks import SequencePlan
    from seqfeed.keras import SequenceModel

    monkeypatch.setattr(SequenceModel, "fit", lambda self, *a, **k: None)  # the order is under test, not training
    rng = np.random.default_rng(1)
    mk = lambda n: seqfeed.SequenceSet.from_sequences(  # noqa: E731
        [rng.normal(size=(int(rng.integers(250, 300)), 1)) for _ in range(n)], targets=np.arange(n) % 2)
    plan = SequencePlan("classify", mk(6), mk(4), mk(4), test_source="test")
    args = argparse.Namespace(task="classify", log_transform="no", bidirectional=None, pooling="auto",
                              dropout=None, crop=None, frame="auto", normalize="global", time_budget=1e-9,
                              epochs=8, units=4, layers=1, cell="lstm", lr=1e-3, seed=0, batch=4,
                              batching="bucket", max_tokens=None)
    setup = choose_setup(plan, args, say=lambda m: None)
    cands = setup["report"]["candidates"]
    assert cands[0]["spec"].startswith("msconv:") and cands[0]["val_score"] is not None
    assert all(c.get("skipped") == "time budget" for c in cands[1:]) and len(cands) >= 4


# ------------------------------------------------------------------ full-rate blocks and the pooled front-end
def test_full_rate_block_only_up_to_stride_8():
    from seqfeed.keras._builders import PRE_MAX_STRIDE, pre_blocks_for_stride

    assert PRE_MAX_STRIDE == 8
    assert [pre_blocks_for_stride(s) for s in (1, 2, 7, 8, 9, 23, 32)] == [1, 1, 1, 1, 0, 0, 0]


@pytest.mark.tf
@pytest.mark.parametrize("task, stride, blocks", [("classify", 3, 2), ("regress", 2, 1), ("tag", 1, 2)])
def test_full_rate_blocks_and_front_pool_are_independent_of_padding(task, stride, blocks):
    """Trained-like random weights, real all-zero steps (one of them the first step), lengths below and
    above the widest full-rate kernel (17), two padding amounts and three padding values: each output
    equals the sequence's output run alone."""
    from seqfeed.keras import build_lstm

    rng = np.random.default_rng(stride + blocks)
    model = build_lstm(task, n_features=2, n_outputs=3, units=3, bidirectional=True, msconv_filters=2,
                       msconv_stride=stride, msconv_pre_blocks=blocks, msconv_pool=task != "tag",
                       pooling="last" if task == "tag" else "mean+max", seed=1)
    names = [w.path for w in model.weights]
    assert any("pre1_w17" in n for n in names) == (blocks == 2)
    assert any("front_pool" in l.name for l in model.layers) == (task != "tag")
    for w in model.weights:  # trained-like: non-zero biases, norms away from identity
        w.assign((np.asarray(w) + rng.normal(0, 0.5, w.shape)).astype("float32"))
    seqs = [rng.normal(size=(n, 2)).astype("float32") for n in (1, stride + 1, 12, 23)]
    seqs[2][5] = 0.0
    seqs[3][0] = 0.0
    seqs[3][10:13] = 0.0
    alone = [np.asarray(model({"x": s[None], "mask": np.ones((1, len(s)), bool)}))[0] for s in seqs]
    for extra, value in ((0, 0.0), (0, 4.0), (19, -3.0)):
        b = seqfeed.pad(seqs, value=value)
        x = np.concatenate([b.x, np.full((len(seqs), extra, 2), value, "float32")], axis=1)
        mask = np.concatenate([b.mask, np.zeros((len(seqs), extra), bool)], axis=1)
        out = np.asarray(model({"x": x, "mask": mask}))
        for i in range(len(seqs)):
            got = out[i][mask[i]] if task == "tag" else out[i]
            assert got.shape == alone[i].shape
            assert np.abs(got - alone[i]).max() < 1e-5, (i, extra, value)


@pytest.mark.tf
def test_msconv_recipe_adds_a_full_rate_block_for_small_strides_and_saves_it(tmp_path):
    from seqfeed.keras import SequenceModel

    rng = np.random.default_rng(3)
    train = seqfeed.SequenceSet.from_sequences([rng.normal(size=(n, 1)) for n in rng.integers(9, 60, 12)],
                                               targets=np.arange(12) % 3)
    small = SequenceModel.for_data(train, "classify", units=4, seed=0, restructure="msconv:8")
    assert small.model.get_layer("msconv_front").get_config()["pre_blocks"] == 1
    assert small.model.get_layer("front_pool") is not None
    big = SequenceModel.for_data(train, "classify", units=4, seed=0, restructure="msconv:9")
    assert big.model.get_layer("msconv_front").get_config()["pre_blocks"] == 0
    p = small.predict_raw(train)
    back = SequenceModel.load(small.save(tmp_path / "m"))
    assert back.model.get_layer("msconv_front").get_config()["pre_blocks"] == 1
    np.testing.assert_allclose(back.predict_raw(train), p, atol=1e-6)


# ------------------------------------------------------------------ the one-standard-error rule of the search
def test_one_standard_error_of_a_validation_accuracy():
    from seqfeed.keras._choose import one_standard_error

    assert one_standard_error(4 / 7, 7) == pytest.approx((4 / 7 * 3 / 7 / 7) ** 0.5)
    assert one_standard_error(1.0, 20) == 0.0 and one_standard_error(0.0, 20) == 0.0
    assert one_standard_error(0.5, 400) < one_standard_error(0.5, 40) < one_standard_error(0.5, 4)


@pytest.mark.parametrize("scores, chosen", [
    # (validation accuracy of msconv, frame, summary) on 10 validation sequences: SE of 0.5 is 0.158
    ((0.5, 0.6, 0.6), "msconv"),  # one sequence better: within the noise, the front-end stays
    ((0.4, 0.6, 0.5), "frame"),  # two sequences better: the frames win (GunPoint's case)
    ((0.4, 0.5, 0.7), "summary"),  # the best of those beyond the margin
    ((1.0, 1.0, 1.0), "msconv"),  # ties keep the front-end
])
def test_search_keeps_the_front_end_unless_beaten_beyond_one_standard_error(monkeypatch, scores, chosen):
    from seqfeed.keras import _choose
    from seqfeed.transforms import Restructure

    kinds = ["msconv", "frame", "summary"]
    monkeypatch.setattr(_choose, "restructure_candidates", lambda m: [Restructure(k, 4) for k in kinds])

    def trial(plan, args, scaler, model, r, n, epochs, scores_out, say):
        acc = scores[kinds.index(r.kind)]
        scores_out.append({"restructure": r.describe(), "spec": str(r), "normalize": n, "val_score": acc})
        return acc, -1.0 + 0.01 * kinds.index(r.kind)  # the log loss would prefer the later ones

    monkeypatch.setattr(_choose, "_trial", trial)
    monkeypatch.setattr(_choose, "build_scaler", lambda *a: None)
    plan = argparse.Namespace(val=[0] * 10, train=argparse.Namespace(lengths=np.full(40, 300)))
    args = argparse.Namespace(task="classify", time_budget=None, epochs=60)
    r, n, out = _choose._search(plan, args, None, False, {}, _choose.restructure_candidates(300), ["global"],
                                lambda m: None)
    assert r.kind == chosen and n == "global"
    assert out[0]["margin"] == pytest.approx(_choose.one_standard_error(scores[0], 10), abs=1e-4) if 0 < scores[0] < 1 \
        else "margin" not in out[0]


@pytest.mark.parametrize("case", ["plaid", "pickup"])
def test_search_scores_the_scalings_with_the_first_restructuring_then_the_others_with_the_chosen_scaling(
        monkeypatch, case):
    """PLAID's case: the front-end trains badly with global scaling (0.30) and well with per-sequence
    scaling (0.74); frames with global scaling (0.41) must not replace it before per-sequence is scored.
    PickupGestureWiimoteZ's case: a tie in accuracy keeps global scaling, whatever the log loss says."""
    from seqfeed.keras import _choose
    from seqfeed.transforms import Restructure

    kinds = ["msconv", "frame", "summary"]
    acc = {("msconv", "global"): 0.30, ("msconv", "per_sequence"): 0.74, ("frame", "global"): 0.41,
           ("frame", "per_sequence"): 0.78, ("summary", "global"): 0.9, ("summary", "per_sequence"): 0.70}
    if case == "pickup":
        acc.update({("msconv", "global"): 0.4, ("msconv", "per_sequence"): 0.4, ("summary", "global"): 0.6})
    n_val = 100 if case == "plaid" else 10
    monkeypatch.setattr(_choose, "restructure_candidates", lambda m: [Restructure(k, 4) for k in kinds])

    def trial(plan, args, scaler, model, r, n, epochs, scores_out, say):
        scores_out.append({"restructure": r.describe(), "spec": str(r), "normalize": n,
                           "val_score": acc[r.kind, n]})
        return acc[r.kind, n], (-2.0 if n == "global" else -1.0)  # the log loss prefers per-sequence

    monkeypatch.setattr(_choose, "_trial", trial)
    monkeypatch.setattr(_choose, "build_scaler", lambda *a: None)
    plan = argparse.Namespace(val=[0] * n_val, train=argparse.Namespace(lengths=np.full(4 * n_val, 300)))
    args = argparse.Namespace(task="classify", time_budget=None, epochs=60)
    r, n, out = _choose._search(plan, args, None, False, {}, _choose.restructure_candidates(300),
                                ["global", "per_sequence"], lambda m: None)
    se = _choose.one_standard_error
    if case == "plaid":
        assert [(c["spec"].split(":")[0], c["normalize"]) for c in out] == [
            ("msconv", "global"), ("msconv", "per_sequence"), ("frame", "per_sequence"),
            ("summary", "per_sequence")]
        # 0.78 is within one standard error of 0.74 on 100 sequences (0.044): the front-end stays
        assert (r.kind, n) == ("msconv", "per_sequence")
        assert out[0]["margin"] == pytest.approx(se(0.30, 100), abs=1e-4)
        assert out[1]["margin"] == pytest.approx(se(0.74, 100), abs=1e-4)
    else:
        assert [c["normalize"] for c in out] == ["global", "per_sequence", "global", "global"]
        # frames' 0.41 is within 0.155 of 0.4; summaries' 0.6 is beyond it
        assert (r.kind, n) == ("summary", "global")
        assert out[0]["margin"] == pytest.approx(se(0.4, 10), abs=1e-4) and "margin" not in out[1]


def test_regression_search_takes_the_lower_validation_error_for_the_scaling(monkeypatch):
    from seqfeed.keras import _choose
    from seqfeed.transforms import Restructure

    err = {("msconv", "global"): 5.7, ("msconv", "per_sequence"): 2.8, ("frame", "per_sequence"): 2.7}
    monkeypatch.setattr(_choose, "restructure_candidates", lambda m: [Restructure(k, 4) for k in ("msconv", "frame")])

    def trial(plan, args, scaler, model, r, n, epochs, scores_out, say):
        scores_out.append({"restructure": r.describe(), "spec": str(r), "normalize": n})
        return -err[r.kind, n], 0.0

    monkeypatch.setattr(_choose, "_trial", trial)
    monkeypatch.setattr(_choose, "build_scaler", lambda *a: None)
    plan = argparse.Namespace(val=[0] * 10, train=argparse.Namespace(lengths=np.full(40, 300)))
    args = argparse.Namespace(task="regress", time_budget=None, epochs=60)
    r, n, out = _choose._search(plan, args, None, False, {}, _choose.restructure_candidates(300),
                                ["global", "per_sequence"], lambda m: None)
    assert (r.kind, n) == ("frame", "per_sequence") and len(out) == 3
    assert not any("margin" in c for c in out)
