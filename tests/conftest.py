import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("default", deadline=None, max_examples=60)
# `pytest -m fuzz --hypothesis-profile=long`: the long fuzz run (counts printed at the end)
settings.register_profile("long", deadline=None, max_examples=2500)
settings.load_profile("default")


def _has_tf() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("tensorflow") is not None
    except Exception:  # pragma: no cover
        return False


HAS_TF = _has_tf()


def pytest_configure(config):
    """With ``-n N`` (pytest-xdist), whole modules go to workers, in the order of
    :func:`pytest_collection_modifyitems`: a module sharing one trained model or one Spark session
    runs on one worker, and the longest work starts first, so the workers end together.

    (By module, not ``--dist loadgroup``: pytest-xdist 3.8 marks the groups through an attribute
    pytest 9 no longer reads, so the ``xdist_group`` marks alone do not group.)
    """
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadscope"
        config.option.loadscopereorder = False


def _cost_rank(item) -> tuple:
    """End-to-end training runs (`slow`, the longest first: `slow(seconds=N)` is a rough estimate
    of the test, or of its module's shared work, on an idle core), then the other TensorFlow tests,
    then the rest."""
    slow = item.get_closest_marker("slow")
    if slow is not None:
        return 0, -slow.kwargs.get("seconds", 10)
    return (1 if item.get_closest_marker("tf") is not None else 2), 0


def pytest_collection_modifyitems(config, items):
    # the most expensive tests first (a stable sort: a module's tests stay together and in order)
    items.sort(key=_cost_rank)
    if HAS_TF:
        return
    skip = pytest.mark.skip(reason="TensorFlow is not installed (pip install seqfeed[tf])")
    for item in items:
        if "tf" in item.keywords:
            item.add_marker(skip)


# TensorFlow's graph optimiser (Grappler) spends most of a small model's first training step
# rewriting the recurrent loop graphs (a 2-layer bidirectional LSTM: ~20 s of ~23 s); the tests'
# models are tiny, so in the test processes it is off. It changes no result the tests assert
# (outputs, masks, determinism and resumption are compared within one configuration), and real
# subprocesses started by tests (the kill -9 and fresh-process tests) keep TensorFlow's defaults.
# SEQFEED_TEST_TF_OPTIMIZER=1 runs the suite with the optimiser on.
_TF_OPTIMIZER_ON = os.environ.get("SEQFEED_TEST_TF_OPTIMIZER") == "1"
_tf_configured = False


def _configure_tensorflow() -> None:
    global _tf_configured
    if _tf_configured or _TF_OPTIMIZER_ON or not HAS_TF:
        return
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    _tf_configured = True


@pytest.fixture(autouse=True)
def _tensorflow_state(request):
    """TensorFlow configured for tests before a tf test (or any test once TensorFlow is loaded);
    op determinism, which an in-process `seqfeed train` switches on, restored after each test."""
    import sys

    from cli_run import op_determinism_enabled, set_op_determinism

    if request.node.get_closest_marker("tf") is not None or "tensorflow" in sys.modules:
        _configure_tensorflow()
    before = op_determinism_enabled()
    yield
    set_op_determinism(bool(before))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After fuzz tests: how many generated inputs ran and how each ended."""
    import sys

    mod = sys.modules.get("strategies")
    fuzz = getattr(mod, "FUZZ", None)
    if fuzz is None or not fuzz.examples:
        return
    tr = terminalreporter
    tr.section("seqfeed fuzz counts")
    tr.write_line(f"generated inputs run: {fuzz.examples}; SeqfeedError: {fuzz.rejected}; "
                  f"results checked against a reference: {fuzz.verified}")
    tr.write_line(f"non-SeqfeedError exceptions: {fuzz.raw}; silently wrong results: {fuzz.wrong}; "
                  f"mutated inputs: {fuzz.mutated}")
    for line in fuzz.first_problems:
        tr.write_line(f"  {line}")
    tr.write_line(f"stricter than the reference (a SeqfeedError where the reference computed a "
                  f"result): {fuzz.strict}")
    if config.getoption("verbose") > 0:
        for line in fuzz.strict_examples:
            tr.write_line(f"  strict: {line}")
