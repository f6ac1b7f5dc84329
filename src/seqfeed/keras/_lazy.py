"""Import Keras (TensorFlow backend) with an install hint; only seqfeed.keras uses this."""

import contextlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@contextlib.contextmanager
def _quiet_native_stderr():
    """TensorFlow's import writes absl/oneDNN lines straight to file descriptor 2, whatever
    TF_CPP_MIN_LOG_LEVEL says; hide them during the import unless the caller asked for TF's
    info logs (TF_CPP_MIN_LOG_LEVEL 0 or 1). Python-level errors are unaffected."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") in ("0", "1"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


try:
    with _quiet_native_stderr():
        import keras  # noqa: E402
        import tensorflow as tf  # noqa: E402, F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "seqfeed.keras needs TensorFlow and Keras 3: pip install 'seqfeed[tf]'"
    ) from e

__all__ = ["keras", "tf"]
