"""The output directory of a training run: claimed, locked, checkpointed, replaced whole.

Rules (nothing seqfeed did not write is ever deleted):

* an existing file or symbolic link as ``out``: error, even with ``force=True``;
* an existing seqfeed output (a directory with ``seqfeed.json``) or an empty directory: error
  unless ``force`` or ``resume``; it is then replaced only when the new output is complete, by
  :func:`seqfeed._fs.replace_dir`;
* any other existing directory: error, even with ``force=True``;
* ``OUT.partial`` (the checkpoints of an interrupted run): ``resume`` continues it; without
  ``resume`` it is an error unless ``force``, which discards it.

The lock (``.OUT.lock`` next to ``out``, an ``flock`` the kernel drops when the process dies) is
held until the run ends; a second run into the same ``out`` fails at once naming the first one's pid.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .._errors import ConfigError
from .._fs import DirLock, atomic_dir, discard_dir, is_seqfeed_dir, recover_dir

OP = "seqfeed.keras.train"


def claim_out(out, *, force: bool = False, resume: bool = False, record: dict | None = None,
              work_dir: bool = True, lock: bool = True, say=None):
    """Check ``out``, lock it against a second run, and prepare the work directory ``OUT.partial``.

    ``record`` (JSON-able) is what defines the run: it is written to ``OUT.partial/args.json``, and
    ``resume=True`` needs the same record. Returns ``(out, work, lock)`` with ``out`` absolute;
    ``work`` is None with ``work_dir=False`` (no checkpoints), and ``lock=False`` takes no lock.
    """
    given = str(out)
    path = Path(os.path.abspath(given))
    if not path.name or path.name in (".", ".."):
        raise ConfigError(f"{OP}: out={given!r} names no directory.", argument="out", received=given,
                          fix="pass a new directory for the model, e.g. out='runs/m1'")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{OP}: cannot create the parent directory of out={given!r}: {e.strerror}.",
                          argument="out", received=given, fix="choose another out=") from None
    held = DirLock(path.with_name(f".{path.name}.lock"), what=f"{OP}: out={given!r}", argument="out")
    if lock:
        held.acquire()
    try:
        if recover_dir(path) == "restored" and say is not None:
            say(f"out={given!r}: put back the previous output that a killed run had moved aside")
        _check_existing(path, given, force=force, resume=resume)
        work = _prepare_work(path, given, force=force, resume=resume, record=record or {}) if work_dir else None
    except BaseException:
        held.release()
        raise
    return path, work, held


def _check_existing(out: Path, given: str, *, force: bool, resume: bool) -> None:
    if not os.path.lexists(out):
        return
    if out.is_symlink():
        raise ConfigError(f"{OP}: out={given!r} is a symbolic link; seqfeed writes a new directory and does "
                          f"not replace links.", argument="out", received=given, fix="choose another out=")
    if not out.is_dir():
        raise ConfigError(f"{OP}: out={given!r} is an existing file; seqfeed writes a directory and never "
                          f"deletes a file it did not create (not even with force=True).", argument="out",
                          received=given, fix="choose another out=, or move the file away")
    if is_seqfeed_dir(out):
        if not (force or resume):
            raise ConfigError(f"{OP}: out={given!r} already holds a trained seqfeed model.", argument="out",
                              received=given, fix="pass force=True to replace it (the old one is removed only "
                                                  "once the new one is complete), or choose another out=")
    elif any(out.iterdir()):
        raise ConfigError(f"{OP}: out={given!r} is a directory that seqfeed did not write (it has no "
                          f"seqfeed.json); seqfeed never replaces it, not even with force=True.",
                          argument="out", received=given, fix="choose another out=, or move that directory away")
    elif not (force or resume):
        raise ConfigError(f"{OP}: out={given!r} already exists (an empty directory).", argument="out",
                          received=given, fix="pass force=True to write the model there, or choose another out=")


def _prepare_work(out: Path, given: str, *, force: bool, resume: bool, record: dict) -> Path:
    work = out.with_name(out.name + ".partial")
    recover_dir(work)  # a work directory half-removed by a killed run
    ours = work.is_dir() and not work.is_symlink() and (work / "args.json").is_file()
    if os.path.lexists(work) and not ours:
        raise ConfigError(f"{OP}: {work} exists and was not written by seqfeed; seqfeed keeps the checkpoints "
                          f"of out={given!r} there.", argument="out", received=str(work),
                          fix="move it away, or choose another out=")
    record = json.loads(json.dumps(record))
    if resume:
        if not ours:
            raise ConfigError(f"{OP}: nothing to resume: {work} does not exist.", argument="resume",
                              fix="run without resume=True to start a new training run")
        saved = json.loads((work / "args.json").read_text())
        if saved != record:
            differ = sorted(k for k in set(saved) | set(record) if saved.get(k) != record.get(k))
            if differ == ["ensemble"] and saved.get("ensemble") == 1 and record.get("ensemble") is None:
                raise ConfigError(f"{OP}: the interrupted run was started by an older seqfeed, whose default was "
                                  "one model (ensemble=1); the default is now chosen from the data.",
                                  argument="ensemble", received=None,
                                  fix="repeat the interrupted command with ensemble=1 added, and resume=True")
            raise ConfigError(f"{OP}: resume=True needs the same command as the interrupted run; the "
                              "arguments differ.", argument="resume",
                              fix="repeat the interrupted command exactly, adding resume=True (differences: "
                                  + ", ".join(differ) + ")")
        return work
    if ours:
        # a run killed before its first checkpoint trained nothing worth keeping
        if not force and has_checkpoints(work):
            raise ConfigError(f"{OP}: {work} holds the checkpoints of an interrupted run into out={given!r}.",
                              argument="out", received=str(work),
                              fix="pass resume=True to continue it (same command), or force=True to discard it "
                                  "and start over")
        discard_dir(work)
    with atomic_dir(work) as tmp:  # the work directory appears with its args.json, so it is always recognisable
        (tmp / "args.json").write_text(json.dumps(record, indent=2))
    return work


def has_checkpoints(work: Path) -> bool:
    return work.is_dir() and any(p.name.startswith("ckpt-") for p in work.iterdir())
