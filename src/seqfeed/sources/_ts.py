"""`read_ts`: the sktime / UEA ``.ts`` text format -> `SequenceSet`.

The format: ``#`` comment lines; ``@`` header lines (``@problemName``,
``@timeStamps``, ``@missing``, ``@univariate``, ``@dimensions``, ``@equalLength``,
``@seriesLength``, ``@classLabel true <labels...>``, ``@targetLabel true``); then
after ``@data`` one case per line: dimensions separated by ``:``, values by ``,``,
the class label (or regression target) last. ``?`` is a missing value.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib

import numpy as np

from .._errors import ConfigError, DataError, check_float_dtype
from ..core import SequenceSet

__all__ = ["read_ts"]

OP = "read_ts"
_BOOL = {"true": True, "false": False}
_TUPLE = re.compile(r"\(([^()]*)\)")


def read_ts(source, *, dtype="float32") -> SequenceSet:
    """Read a ``.ts`` file (or ``.ts.gz``, or an open text/binary file) into a ``SequenceSet``.

    Every case becomes one sequence of shape ``(T_i, D)``: its ``D`` dimensions are
    the features (``feature_names`` ``"dim_0"``, ``"dim_1"``, ...) and must have the
    same length within a case (cases may differ in length). ``?`` (and ``NaN``)
    become NaN. With ``@timeStamps true`` the values are read from the
    ``(timestamp,value)`` pairs in file order; the timestamps are not kept.

    Args:
        source: a path (gzip is detected from the content) or a file object.
        dtype: float dtype of the values (default ``"float32"``).

    Returns:
        A ``SequenceSet`` with ``values`` ``(N_steps, D)``; ``targets`` are the class
        labels as a NumPy str array (``@classLabel true``) or float64 regression
        targets (``@targetLabel true``), else None.

    Raises:
        ConfigError: ``path_or_file`` is neither a path nor a text/bytes file object, or ``dtype`` is not a
            float dtype.
        DataError: a malformed file; the message names the case (0-based) and its
            line number (1-based) in the file.

    Example:
        >>> import io
        >>> text = "@problemName demo\\n@classLabel true a b\\n@data\\n1,2,3:4,5,6:a\\n7,?:8,9:b\\n"
        >>> s = read_ts(io.StringIO(text))
        >>> s.lengths.tolist(), s.targets.tolist(), s[1].tolist()
        ([3, 2], ['a', 'b'], [[7.0, 8.0], [nan, 9.0]])
    """
    dt = check_float_dtype(OP, dtype)
    text, name = _read_text(source)
    try:
        lines = text.splitlines()
        header, first = _parse_header(lines, name)
        cases = [(i + 1, ln.strip()) for i, ln in enumerate(lines[first:], start=first)
                 if ln.strip() and not ln.lstrip().startswith("#")]
        return _parse_cases(cases, header, name, dt)
    except MemoryError:
        need = len(text) * 8
        raise DataError(f"{OP}: {name} does not fit in memory: its {len(text):,} characters need "
                        f"about {need:,} bytes ({need / 2**30:,.2f} GiB) while parsing.",
                        argument="source", received=len(text),
                        fix="split the file into parts, or use a machine with more memory") from None


def _read_text(src):
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        with open(path, "rb") as f:
            raw = f.read()
        name = os.path.basename(path)
    elif hasattr(src, "read"):
        raw = src.read()
        name = getattr(src, "name", None) or "<file>"
        name = os.path.basename(name) if isinstance(name, str) else "<file>"
    else:
        raise ConfigError(f"{OP}: expected a path or a file object. Received type "
                          f"{type(src).__name__}.", argument="source",
                          received=type(src).__name__, fix="pass a path, or a file object opened for reading")
    if isinstance(raw, bytes):
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error) as e:
                raise DataError(f"{OP}: {name} looks gzip-compressed but cannot be decompressed "
                                f"({e}).", argument="source", received=name,
                                fix="the file is truncated or damaged; write it again from its "
                                    "source") from None
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            raise DataError(f"{OP}: {name} is not UTF-8 text: byte {raw[e.start:e.start + 1]!r} at "
                            f"offset {e.start} (line {line}).", argument="source",
                            received=name, index=line - 1,
                            fix="re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8), or "
                                "pass an open text file with the right encoding") from None
    elif not isinstance(raw, str):
        raise ConfigError(f"{OP}: the file object's read() returned {type(raw).__name__}, not text or "
                          f"bytes.", argument="source", received=type(raw).__name__,
                          fix="pass a file object whose read() returns str or bytes")
    return raw, name


def _parse_header(lines, name):
    header = {}
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith(("#", "%")):  # '%': the ARFF comment, in some published .ts headers
            continue
        if not s.startswith("@"):
            raise DataError(f"{OP}: {name} line {i + 1} comes before @data but is not a header "
                            f"(@...) or comment (# or %) line: {s[:40]!r}.", index=i,
                            fix="check that the file is in .ts format", argument="source", received=s[:40])
        parts = s.split()
        key = parts[0][1:].lower()
        if key == "data":
            return header, i + 1
        args = parts[1:]
        if key in ("timestamps", "missing", "univariate", "equallength"):
            header[key] = _flag(args, key, name, i)
        elif key in ("dimensions", "serieslength"):
            try:
                header[key] = int(args[0])
            except (IndexError, ValueError):
                raise DataError(f"{OP}: {name} line {i + 1}: @{parts[0][1:]} needs an integer. "
                                f"Received {s!r}.", index=i, argument="source", received=s,
                                fix="write a whole number after the header keyword") from None
        elif key in ("classlabel", "targetlabel"):
            header[key] = _flag(args[:1], key, name, i)
            if key == "classlabel":
                header["labels"] = args[1:]
        else:
            header[key] = " ".join(args)
    raise DataError(f"{OP}: {name} has no @data line.", fix="check that the file is in .ts format",
                    argument="source", received=name)


def _flag(args, key, name, i):
    v = args[0].lower() if args else ""
    if v not in _BOOL:
        raise DataError(f"{OP}: {name} line {i + 1}: @{key} must be true or false. Received "
                        f"{' '.join(args)!r}.", index=i, argument="source", received=" ".join(args),
                        fix=f"write @{key} true or @{key} false in the header")
    return _BOOL[v]


def _parse_cases(cases, header, name, dt) -> SequenceSet:
    classes = header.get("classlabel", False)
    regression = header.get("targetlabel", False)
    stamps = header.get("timestamps", False)
    if stamps:  # "(timestamp,value),(timestamp,value):..." -> "value,value:..."
        cases = [(ln, _TUPLE.sub(lambda m: m.group(1).rpartition(",")[2], s)) for ln, s in cases]
    n = len(cases)
    labels = []
    bodies = []
    if classes or regression:
        for k, (ln, s) in enumerate(cases):
            body, sep, label = s.rpartition(":")
            if not sep:
                raise DataError(f"{OP}: {name} case {k} (line {ln}) has no ':'-separated label.",
                                index=k, fix="every case line must end with ':<label>'",
                                argument="source", received=ln)
            bodies.append(body)
            labels.append(label.strip())
    else:
        bodies = [s for _, s in cases]
    dims = [b.split(":") for b in bodies]
    D = header.get("dimensions", 1 if header.get("univariate") else (len(dims[0]) if n else 1))
    counts = np.fromiter(map(len, dims), dtype=np.int64, count=n)
    bad = np.flatnonzero(counts != D)
    if bad.size:
        k = int(bad[0])
        raise DataError(f"{OP}: {name} case {k} (line {cases[k][0]}) has {counts[k]} dimensions, "
                        f"expected {D}.", index=k, received=int(counts[k]),
                        fix="every case needs the same number of ':'-separated dimensions", argument="source")
    flat = [d for case in dims for d in case]
    lens = np.fromiter((d.count(",") + 1 if d.strip() else 0 for d in flat), dtype=np.int64,
                       count=len(flat)).reshape(n, D)
    T = lens[:, 0] if n else np.zeros(0, np.int64)
    uneven = np.flatnonzero((lens != T[:, None]).any(axis=1))
    if uneven.size:
        k = int(uneven[0])
        d = int(np.flatnonzero(lens[k] != T[k])[0])
        raise DataError(f"{OP}: {name} case {k} (line {cases[k][0]}): dimension {d} has {lens[k, d]} "
                        f"values but dimension 0 has {T[k]}; the dimensions of a case must have "
                        f"equal length.", index=k, received=lens[k].tolist(),
                        fix="resample or pad the dimensions of that case to one length first", argument="source")
    if header.get("equallength") and "serieslength" in header and n:
        wrong = np.flatnonzero(T != header["serieslength"])
        if wrong.size:
            k = int(wrong[0])
            raise DataError(f"{OP}: {name} case {k} (line {cases[k][0]}) has length {T[k]} but the "
                            f"header says @seriesLength {header['serieslength']}.", index=k,
                            argument="source", received=int(T[k]),
                            fix="correct @seriesLength, or remove it for sequences of varying length")
    values = _numbers(",".join(d for d in flat if d.strip()), lens, cases, name)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(T, out=offsets[1:])
    N = int(offsets[-1])
    # flat layout: case by case, dimension by dimension; output: (step, dimension)
    case = np.repeat(np.arange(n), T)
    t = np.arange(N, dtype=np.int64) - offsets[:-1][case]
    src = (D * offsets[:-1][case] + t)[:, None] + np.arange(D)[None, :] * T[case][:, None]
    with np.errstate(over="ignore"):
        out = values[src].astype(dt, copy=False) if N else np.zeros((0, D), dtype=dt)
    if dt.itemsize < 8 and N:
        over = np.isinf(out) & np.isfinite(values[src])
        if over.any():
            step, d = (int(v[0]) for v in np.nonzero(over))
            k = int(case[step])
            raise DataError(f"{OP}: {name} case {k} (line {cases[k][0]}), dimension {d}, step "
                            f"{int(t[step])} holds {values[src][step, d]:g}, which overflows {dt}.",
                            index=k, received=float(values[src][step, d]),
                            fix="pass dtype='float64', or rescale the values", argument="dtype")
    targets = None
    if classes:
        declared = header.get("labels") or []
        if declared:
            unknown = [k for k, lab in enumerate(labels) if lab not in set(declared)]
            if unknown:
                k = unknown[0]
                raise DataError(f"{OP}: {name} case {k} (line {cases[k][0]}) has class label "
                                f"{labels[k]!r}, which @classLabel does not declare ({declared}).",
                                index=k, received=labels[k], argument="source",
                                fix=f"declare the label in @classLabel, or correct the case ({declared})")
        targets = np.array(labels, dtype=str) if n else np.zeros(0, dtype=str)
    elif regression:
        try:
            targets = np.array(labels, dtype=np.float64)
        except ValueError:
            k = next(k for k, lab in enumerate(labels) if not _is_float(lab))
            raise DataError(f"{OP}: {name} case {k} (line {cases[k][0]}) has target {labels[k]!r}, "
                            f"not a number (@targetLabel true).", index=k,
                            received=labels[k], argument="source",
                            fix="store numeric targets, or write @targetLabel false with @classLabel for class labels") from None
    return SequenceSet(out, offsets, targets=targets,
                       feature_names=[f"dim_{d}" for d in range(D)])


def _is_float(s) -> bool:
    try:
        float(s.replace("?", "nan"))
        return True
    except ValueError:
        return False


def _numbers(joined: str, lens, cases, name) -> np.ndarray:
    if not joined:
        return np.zeros(0, dtype=np.float64)
    tokens = joined.replace("?", "NaN").split(",")
    try:
        return np.array(tokens, dtype=np.float64)
    except ValueError:
        pos = next(i for i, tok in enumerate(tokens) if not _is_float(tok))
        per_case = np.cumsum(lens.sum(axis=1))
        k = int(np.searchsorted(per_case, pos, side="right"))
        raise DataError(f"{OP}: {name} case {k} (line {cases[k][0]}) holds {tokens[pos].strip()!r}, "
                        f"not a number.", index=k, received=tokens[pos].strip(),
                        fix="values must be numbers or '?' for missing", argument="source") from None

