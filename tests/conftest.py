import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("default", deadline=None, max_examples=60)
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


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
