"""The options of :func:`seqfeed.keras.train`: defaults and checks, before any data is read.

The names are those of the ``seqfeed train`` flags with underscores (``--time-budget`` is
``time_budget``); every bad value is a :class:`~seqfeed.ConfigError` whose ``argument`` is the option.
"""

from __future__ import annotations

import math
import numbers
from types import SimpleNamespace

from .._errors import ConfigError

OP = "seqfeed.keras.train"

TASKS = ("classify", "regress", "tag", "forecast")

DEFAULTS = {
    # long tables: column names and cleaning
    "id": None, "time": None, "target": None, "features": None, "nan": "error", "duplicates": "error",
    "drop_missing_targets": False,
    # splits
    "test_fraction": 0.2, "val_fraction": 0.2,
    # model
    "units": 64, "layers": 1, "bidirectional": None, "pooling": "auto", "crop": None, "cell": "lstm",
    "dropout": None, "frame": "auto", "normalize": "auto", "log_transform": "auto",
    # training
    "epochs": None, "batch": None, "refit": "auto", "batching": "bucket", "max_tokens": None, "lr": 3e-3,
    "patience": 10, "seed": 0, "workers": 1, "resume": False, "force": False, "time_budget": None,
    "ensemble": None,
    # forecasting
    "window": None, "horizon": 1, "test_size": None, "forecast_change": "auto",
    # reporting (not part of what defines a run)
    "verbose": False, "progress": None, "command": None,
}

# options that do not change what is trained (left out of the record --resume compares)
NOT_RECORDED = ("resume", "force", "verbose", "progress", "command", "data_label", "test_label")

CHOICES = {"nan": ("error", "drop", "ffill", "zero"), "duplicates": ("error", "first", "last", "mean"),
           "pooling": ("auto", "last", "mean", "max", "mean+max"), "cell": ("lstm", "gru"),
           "normalize": ("auto", "global", "per_sequence", "none"), "log_transform": ("auto", "yes", "no"),
           "refit": ("auto", "yes", "no"), "forecast_change": ("auto", "yes", "no"),
           "batching": ("bucket", "adaptive", "token_budget", "fixed")}

# (low, high) inclusive bounds of the integer options
INT_BOUNDS = {"epochs": (1, 100_000), "units": (1, 4096), "layers": (1, 64), "batch": (1, 65_536),
              "patience": (1, 100_000), "max_tokens": (1, 2**31 - 1), "window": (1, 1_000_000),
              "horizon": (1, 1_000_000), "test_size": (1, 2**31 - 1), "seed": (0, 2**32 - 1),
              "workers": (1, 4096), "ensemble": (1, 64)}

BOOLS = ("drop_missing_targets", "resume", "force", "verbose")
OPTIONAL_BOOLS = ("bidirectional",)
TEXT = ("id", "time", "target", "frame", "command")


def resolve_options(task, options: dict) -> SimpleNamespace:
    """All options with their defaults, checked; ``task`` first. Raises ConfigError naming the option."""
    if task not in TASKS:
        raise ConfigError(f"{OP}: `task` must be one of {', '.join(TASKS)}. Received {task!r}.", argument="task",
                          received=task, fix="pass task='classify', 'regress', 'tag' or 'forecast'")
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], DEFAULTS, n=1)
        raise ConfigError(f"{OP}: unknown option `{unknown[0]}`" + (f" (did you mean `{close[0]}`?)" if close
                                                                    else "") + ".", argument=unknown[0],
                          received=unknown[0], fix=f"use one of: {', '.join(sorted(DEFAULTS))}")
    o = SimpleNamespace(task=task, **{**DEFAULTS, **options})
    _check_kinds(o)
    _check_numbers(o)
    if o.frame != "auto":
        from ..transforms import Restructure

        r = Restructure.coerce(o.frame, argument="frame")
        if o.forecast_change == "yes" and not (r.kind == "none" or r.in_model):
            raise ConfigError(f"{OP}: forecast_change='yes' forecasts the change from the last observed value, "
                              f"which needs the raw steps; frame={o.frame!r} replaces them.",
                              argument="forecast_change", received="yes",
                              fix="leave out forecast_change=, or use frame='none', 'conv:K' or 'msconv:K'")
    return o


def option_label(o, name: str, value: object = None) -> str:
    """An option (with a value, if given) as its caller spells it, for the card, the metrics and the
    tips: the flag (``--log-transform``, ``--frame msconv:23``) when ``seqfeed train`` ran (it passes
    ``command``), else the keyword of :func:`seqfeed.keras.train` (``log_transform=``,
    ``frame='msconv:23'``)."""
    if getattr(o, "command", None):
        return f"--{name.replace('_', '-')}" + ("" if value is None else f" {value}")
    return f"{name}=" + ("" if value is None else repr(value))


def _bad(name, value, what, fix):
    return ConfigError(f"{OP}: `{name}` must be {what}. Received {value!r}.", argument=name, received=value,
                       fix=fix)


def _check_kinds(o) -> None:
    for name, choices in CHOICES.items():
        v = getattr(o, name)
        if v not in choices:
            raise _bad(name, v, f"one of {', '.join(choices)}", f"pass {name}='{choices[0]}' or another of "
                                                               f"{', '.join(choices[1:])}")
    for name in BOOLS:
        if not isinstance(getattr(o, name), bool):
            raise _bad(name, getattr(o, name), "True or False", f"pass {name}=True or {name}=False")
    for name in OPTIONAL_BOOLS:
        if getattr(o, name) not in (None, True, False):
            raise _bad(name, getattr(o, name), "True, False or None (automatic)", f"pass {name}=True or False")
    for name in TEXT:
        if getattr(o, name) is not None and not isinstance(getattr(o, name), str):
            raise _bad(name, getattr(o, name), "a string", f"pass {name} as a string")
    f = o.features
    if f is not None and not isinstance(f, str) and not (
            isinstance(f, (list, tuple)) and all(isinstance(c, str) for c in f)):
        raise _bad("features", f, "a list of column names (or a comma-separated string)",
                   "pass features=['a', 'b']")
    if o.progress is not None and not callable(o.progress):
        raise _bad("progress", o.progress, "a function taking one message string", "pass progress=print")


def _check_numbers(o) -> None:
    for name, (lo, hi) in INT_BOUNDS.items():
        v = getattr(o, name)
        if v is None and name not in ("seed", "units", "layers", "patience", "horizon", "workers"):
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise _bad(name, v, "a whole number", f"pass {name}= with a whole number in {lo}..{hi}")
        if not lo <= int(v) <= hi:
            raise ConfigError(f"{OP}: `{name}` must be between {lo} and {hi:,}. Received {v}.", argument=name,
                              received=v, fix=f"pass {name}= with a value in {lo}..{hi}")
        setattr(o, name, int(v))
    for name in ("val_fraction", "test_fraction", "lr", "dropout", "crop", "time_budget"):
        v = getattr(o, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
            raise _bad(name, v, "a number", f"pass {name} as a number")
    for name in ("val_fraction", "test_fraction"):
        v = getattr(o, name)
        if not (math.isfinite(v) and 0 < v < 1):
            raise ConfigError(f"{OP}: `{name}` must be between 0 and 1. Received {v}.", argument=name,
                              received=v, fix=f"pass {name}= with a fraction such as 0.2")
    if not (math.isfinite(o.lr) and 0 < o.lr <= 10):
        raise ConfigError(f"{OP}: `lr` must be a finite number > 0 (and <= 10). Received {o.lr}.",
                          argument="lr", received=o.lr, fix="pass a learning rate such as lr=0.003")
    if o.dropout is not None and not (math.isfinite(o.dropout) and 0 <= o.dropout < 1):
        raise ConfigError(f"{OP}: `dropout` must be in [0, 1). Received {o.dropout}.", argument="dropout",
                          received=o.dropout, fix="pass dropout=0.1, or 0 for none")
    if o.crop is not None and not (math.isfinite(o.crop) and 0 < o.crop <= 1):
        raise ConfigError(f"{OP}: `crop` must be in (0, 1]. Received {o.crop}.", argument="crop",
                          received=o.crop, fix="pass a kept fraction such as crop=0.8, or leave it out")
    if o.crop is not None and o.crop < 1 and o.task not in ("classify", "regress"):
        raise ConfigError(f"{OP}: `crop` is for sequence-level tasks (classify, regress); task={o.task!r} "
                          f"labels steps or continues a series. Received crop={o.crop}.", argument="crop",
                          received=o.crop, fix="leave out crop for this task")
    if o.time_budget is not None and not (math.isfinite(o.time_budget) and o.time_budget > 0):
        raise ConfigError(f"{OP}: `time_budget` must be a number of seconds > 0. Received {o.time_budget}.",
                          argument="time_budget", received=o.time_budget, fix="pass e.g. time_budget=60")


def run_record(data_spec, test_spec, o) -> dict:
    """The options that define a training run (what ``resume=True`` must repeat exactly)."""
    rec = {"data": data_spec, "task": o.task, "test": test_spec}
    rec.update({k: v for k, v in vars(o).items() if k not in NOT_RECORDED and k not in rec})
    return rec
