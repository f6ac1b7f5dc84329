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


def pytest_collection_modifyitems(config, items):
    if HAS_TF:
        return
    skip = pytest.mark.skip(reason="TensorFlow is not installed (pip install seqfeed[tf])")
    for item in items:
        if "tf" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _op_determinism_restored():
    """A test that trains through the CLI in process switches TensorFlow's op determinism on;
    the next test gets the switch as it was."""
    from cli_run import op_determinism_enabled, set_op_determinism

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
