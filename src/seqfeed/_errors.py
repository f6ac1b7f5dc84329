"""The seqfeed error family.

Every error raised on bad input is a :class:`SeqfeedError` (a ``ValueError``), so
``except ValueError`` keeps working for callers who do not know seqfeed. Messages
name the operation, the argument, what was received, the offending sequence or
row index where there is one, and the fix.
"""

from __future__ import annotations

import warnings

__all__ = [
    "SeqfeedError",
    "ShapeError",
    "DataError",
    "ConfigError",
    "IndexRangeError",
    "SeqfeedWarning",
]


class SeqfeedError(ValueError):
    """Base class of every error seqfeed raises on bad input.

    Attributes:
        argument: name of the offending argument (or column), if any.
        received: a short description of what was received (shape, value).
        index: 0-based index of the offending sequence or row, if any.
        fix: what to do about it.
    """

    def __init__(self, message: str, *, argument: str | None = None,
                 received: object = None, index: int | None = None,
                 fix: str | None = None):
        self.argument = argument
        self.received = received
        self.index = index
        self.fix = fix
        text = message.rstrip()
        if fix:
            if not text.endswith("."):
                text += "."
            text += f" Fix: {fix}"
        super().__init__(text)


class ShapeError(SeqfeedError):
    """An array has a shape (or number of dimensions) that cannot be used."""


class DataError(SeqfeedError):
    """Values are unusable: NaN/inf, non-numeric, duplicated, empty, ..."""


class ConfigError(SeqfeedError):
    """An option has an invalid value."""


class IndexRangeError(ConfigError, IndexError):
    """An index (of a sequence, a row, a batch member) is out of range.

    Also an ``IndexError``, so code that catches ``IndexError`` keeps working.
    """


class SeqfeedWarning(UserWarning):
    """Something works but is probably not what the caller wanted."""


def warn(message: str, stacklevel: int = 3) -> None:
    warnings.warn(message, SeqfeedWarning, stacklevel=stacklevel)


def shape_str(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_choice(op: str, name: str, value, choices) -> None:
    """Raise ConfigError unless ``value`` is one of ``choices`` (case-sensitive)."""
    if isinstance(value, str) and value in choices:
        return
    options = "{" + ", ".join(repr(c) for c in sorted(choices)) + "}"
    raise ConfigError(
        f"{op}: `{name}` must be one of {options}. Received: {name}={value!r}.",
        argument=name, received=value,
    )


def check_int(op: str, name: str, value, *, minimum: int = 0, allow_none: bool = False):
    """Validate an integer option (bools and floats are rejected)."""
    import numbers

    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(
            f"{op}: `{name}` must be an integer >= {minimum}"
            + (" or None" if allow_none else "")
            + f". Received: {name}={value!r} (type {type(value).__name__}).",
            argument=name, received=value,
        )
    if value < minimum:
        raise ConfigError(
            f"{op}: `{name}` must be >= {minimum}. Received: {name}={value!r}.",
            argument=name, received=value,
        )
    return int(value)


def check_float_dtype(op: str, dtype, *, name: str = "dtype"):
    """``np.dtype(dtype)`` if it is a float dtype, else a ConfigError naming the option."""
    import numpy as np

    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        raise ConfigError(f"{op}: `{name}` must be a float dtype such as 'float32' or 'float64'. "
                          f"Received: {name}={dtype!r}.", argument=name, received=dtype)
    return dt
