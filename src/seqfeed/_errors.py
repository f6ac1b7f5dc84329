"""The seqfeed error family and its contract.

Every error raised on bad input is a :class:`SeqfeedError` (a ``ValueError``), so
``except ValueError`` keeps working for callers who do not know seqfeed. Each one carries,
as attributes checked by its constructor:

* ``argument``: the parameter of the called function that was wrong (``"lengths"``,
  ``"maxlen"``, ``"id"``); a table column involved is in ``column``;
* ``received``: what was passed (the value, shape, dtype or type name);
* ``index``: the 0-based sequence or row it was found at, or None;
* ``fix``: what to do, appended to the message as ``" Fix: ..."``.

The class says what kind of input was wrong: :class:`ShapeError` a shape or a length,
:class:`DataError` the data's values or dtype (including a file's content),
:class:`ConfigError` an option (:class:`IndexRangeError` an index out of range). Programs
react to ``code`` (:data:`CODES`), never to the wording of a message.
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

    The four fields of the error contract are keyword arguments every raise site
    states, checked here:

    Attributes:
        argument: name of the offending parameter of the function that was called
            (``"data"``, ``"maxlen"``, ``"id"`` ...); a non-empty string.
        received: what was received (a value, a shape, a type name, a dtype).
        index: 0-based index of the offending sequence or row, or None when the
            problem is not located in one.
        fix: what to do about it; a non-empty sentence, also appended to the message.
        column: the data column involved (a table's column name), or None.
        code: a short stable name of the kind of problem, for programs that react to
            it (e.g. the CLI's ``inspect``, which works around some problems):
            one of :data:`CODES`, or None.
    """

    def __init__(self, message: str, *, argument: str, received: object = None, index: int | None = None,
                 fix: str, column: str | None = None, code: str | None = None):
        if not isinstance(argument, str) or not argument:
            raise TypeError(f"{type(self).__name__}: `argument` must name the offending parameter "
                            f"(a non-empty string); got {argument!r}")
        if not isinstance(fix, str) or not fix.strip():
            raise TypeError(f"{type(self).__name__}: `fix` must be a non-empty sentence; got {fix!r}")
        if index is not None:
            import numbers

            if isinstance(index, bool) or not isinstance(index, numbers.Integral) or index < 0:
                raise TypeError(f"{type(self).__name__}: `index` must be an int >= 0 or None; got {index!r}")
            index = int(index)
        if code is not None and code not in CODES:
            raise TypeError(f"{type(self).__name__}: unknown `code` {code!r}; one of {sorted(CODES)}")
        self.argument, self.received, self.index, self.fix = argument, received, index, fix
        self.column, self.code = column, code
        text = message.rstrip()
        if not text.endswith("."):
            text += "."
        super().__init__(f"{text} Fix: {fix}")

    @property
    def message(self) -> str:
        """The message without its ``Fix:`` sentence."""
        return str(self).rpartition(" Fix: ")[0]

    def with_message(self, message: str, **changes) -> "SeqfeedError":
        """The same error (class, fields) with another message and some fields changed."""
        fields = dict(argument=self.argument, received=self.received, index=self.index, fix=self.fix,
                      column=self.column, code=self.code)
        fields.update(changes)
        return type(self)(message, **fields)


# Kinds of problems that programs react to (``SeqfeedError.code``, ``SeqfeedWarning.code``):
CODES = {
    "not_finite": "a NaN, +-inf or null value where numbers are needed",
    "duplicate_time": "two rows of one id with the same time",
    "target_varies": "a per-sequence target column that changes within one id",
    "missing_target": "a null, NaN or empty target value",
    "non_numeric_column": "a table column that is not numeric (skipped or refused)",
}


class ShapeError(SeqfeedError):
    """An array has a shape (or number of dimensions, or a length) that cannot be used."""


class DataError(SeqfeedError):
    """The data's values are unusable: NaN/inf, the wrong dtype (text where numbers are needed,
    floats where step counts are needed), duplicated, empty, out of range, a damaged file, ..."""


class ConfigError(SeqfeedError):
    """An option (a keyword argument, not the data) has an invalid value or type."""


class IndexRangeError(ConfigError, IndexError):
    """An index (of a sequence, a row, a batch member) is out of range.

    Also an ``IndexError``, so code that catches ``IndexError`` keeps working.
    """


class SeqfeedWarning(UserWarning):
    """Something works but is probably not what the caller wanted.

    ``code`` (one of :data:`CODES`, or None) names the kind of problem, as for errors.
    """

    def __init__(self, message: str = "", *, code: str | None = None):
        super().__init__(message)
        self.code = code


def warn(message: str, stacklevel: int = 3, *, code: str | None = None) -> None:
    warnings.warn(SeqfeedWarning(message, code=code), stacklevel=stacklevel)


def shape_str(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_choice(op: str, name: str, value, choices) -> None:
    """Raise ConfigError unless ``value`` is one of ``choices`` (case-sensitive)."""
    if isinstance(value, str) and value in choices:
        return
    options = "{" + ", ".join(repr(c) for c in sorted(choices)) + "}"
    raise ConfigError(
        f"{op}: `{name}` must be one of {options}. Received: {name}={value!r}.",
        argument=name, received=value, fix=f"pass {name}= one of {options}",
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
            argument=name, received=value, fix=f"pass a whole number >= {minimum}"
            + (" or None" if allow_none else "") + f" as `{name}`",
        )
    if value < minimum:
        raise ConfigError(
            f"{op}: `{name}` must be >= {minimum}. Received: {name}={value!r}.",
            argument=name, received=value, fix=f"pass {name}={minimum} or more",
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
                          f"Received: {name}={dtype!r}.", argument=name, received=dtype,
                          fix=f"pass {name}='float32' (the LSTM input type) or 'float64'")
    return dt
