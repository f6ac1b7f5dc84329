"""Run the ``seqfeed`` command line inside the test process, as a subprocess would, but without
paying TensorFlow's start-up for every call.

``seqfeed.cli.main`` changes process-wide state on its way: ``train`` seeds Python's, NumPy's and
TensorFlow's generators and switches on TensorFlow's op determinism, the TF commands set logger
levels and environment defaults. :func:`seqfeed_in_process` puts all of that back afterwards, so
a test that runs the CLI leaves the process as it found it.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import random
import sys
from dataclasses import dataclass

import numpy as np


@dataclass
class Result:
    """What ``subprocess.run(..., capture_output=True, text=True)`` would give."""

    returncode: int
    stdout: str
    stderr: str


def op_determinism_enabled() -> bool | None:
    """TensorFlow's op-determinism switch, or None when TensorFlow is not imported (never imports it)."""
    if "tensorflow" not in sys.modules:
        return None
    from tensorflow.python.framework import config

    return bool(config.is_op_determinism_enabled())


def set_op_determinism(on: bool | None) -> None:
    if on is None or "tensorflow" not in sys.modules:
        return
    from tensorflow.python.framework import config

    if op_determinism_enabled() != on:
        (config.enable_op_determinism if on else config.disable_op_determinism)()


@contextlib.contextmanager
def global_state_restored():
    """Environment, random generators, logger levels and TensorFlow's op determinism as they were."""
    env = dict(os.environ)
    py_random, np_random = random.getstate(), np.random.get_state()
    loggers = {name: logging.getLogger(name).level for name in ("tensorflow", "absl", "keras")}
    determinism = op_determinism_enabled()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(env)
        random.setstate(py_random)
        np.random.set_state(np_random)
        for name, level in loggers.items():
            logging.getLogger(name).setLevel(level)
        # off if TensorFlow was first imported during the call (a fresh process starts with it off)
        set_op_determinism(bool(determinism))


def seqfeed_in_process(*args, env: dict | None = None, check: bool = True) -> Result:
    """``seqfeed ARGS`` in this process: exit code, stdout and stderr as text.

    ``env`` adds environment variables for this call only. An ``argparse`` exit (SystemExit) is
    turned into its exit code, as a process would report it.
    """
    from seqfeed.cli import main

    out, err = io.StringIO(), io.StringIO()
    with global_state_restored():
        os.environ.update(env or {})
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    res = Result(code, out.getvalue(), err.getvalue())
    if check and res.returncode != 0:
        raise AssertionError(f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")
    return res
