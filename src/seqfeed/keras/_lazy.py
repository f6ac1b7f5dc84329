"""Import Keras (TensorFlow backend) with an install hint; only seqfeed.keras uses this."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

try:
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402, F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "seqfeed.keras needs TensorFlow and Keras 3: pip install 'seqfeed[tf]'"
    ) from e

__all__ = ["keras", "tf"]
