"""Atomic directory replacement, its recovery after a kill, the output lock and the fault hook."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from seqfeed import ConfigError
from seqfeed._fs import DirLock, atomic_dir, atomic_file, fault_point, is_seqfeed_dir, recover_dir, replace_dir, temp_dir


def make_dir(path, text):
    path.mkdir()
    (path / "seqfeed.json").write_text(text)
    (path / "sub").mkdir()
    (path / "sub" / "w.bin").write_bytes(text.encode() * 3)
    return path


def content(path):
    return (path / "seqfeed.json").read_text(), (path / "sub" / "w.bin").read_bytes()


def hidden(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def run_py(code, env=None):
    """A child Python (no TensorFlow) running ``code``; returns the CompletedProcess."""
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=e)


def test_replace_dir_into_a_new_path(tmp_path):
    src = make_dir(tmp_path / ".new", "new")
    replace_dir(src, tmp_path / "out")
    assert content(tmp_path / "out") == ("new", b"newnewnew")
    assert not src.exists() and hidden(tmp_path) == []


def test_replace_dir_replaces_an_old_directory_whole(tmp_path):
    make_dir(tmp_path / "out", "old")
    replace_dir(make_dir(tmp_path / ".new", "new"), tmp_path / "out")
    assert content(tmp_path / "out") == ("new", b"newnewnew")
    assert hidden(tmp_path) == []  # the old one is gone once the new one is in place


def test_replace_dir_refuses_a_file_and_leaves_it(tmp_path):
    (tmp_path / "out").write_text("user data")
    src = make_dir(tmp_path / ".new", "new")
    with pytest.raises(ConfigError, match="exists and is not a directory"):
        replace_dir(src, tmp_path / "out")
    assert (tmp_path / "out").read_text() == "user data" and src.exists()


KILLED_REPLACE = """
    import sys
    from pathlib import Path
    from seqfeed._fs import replace_dir
    replace_dir(Path(sys.argv[1]) / ".new", Path(sys.argv[1]) / "out")
"""


def kill_replace(tmp_path, point):
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED_REPLACE), str(tmp_path)],
                         env=dict(os.environ, SEQFEED_FAULT=point), capture_output=True, text=True)
    assert res.returncode == -signal.SIGKILL, res.stderr
    return res


def test_kill_between_the_renames_keeps_the_old_output_and_the_next_call_restores_it(tmp_path):
    make_dir(tmp_path / "out", "old")
    make_dir(tmp_path / ".new", "new")
    kill_replace(tmp_path, "replace:between")
    # the moment of the kill: the old output moved aside whole, the new one still under its temporary name
    assert not (tmp_path / "out").exists()
    olds = [p for p in tmp_path.iterdir() if p.name.startswith(".out.old-")]
    assert len(olds) == 1 and content(olds[0]) == ("old", b"oldoldold")
    assert content(tmp_path / ".new") == ("new", b"newnewnew")
    assert recover_dir(tmp_path / "out") == "restored"
    assert content(tmp_path / "out") == ("old", b"oldoldold") and hidden(tmp_path) == [".new"]
    assert recover_dir(tmp_path / "out") is None
    replace_dir(tmp_path / ".new", tmp_path / "out")  # the writer's retry completes
    assert content(tmp_path / "out") == ("new", b"newnewnew") and hidden(tmp_path) == []


def test_kill_after_the_renames_leaves_the_new_output_and_the_old_one_is_cleaned(tmp_path):
    make_dir(tmp_path / "out", "old")
    make_dir(tmp_path / ".new", "new")
    kill_replace(tmp_path, "replace:after")
    assert content(tmp_path / "out") == ("new", b"newnewnew")
    assert [p.name.startswith(".out.old-") for p in tmp_path.iterdir() if p.name != "out"] == [True]
    assert recover_dir(tmp_path / "out") == "cleaned"
    assert content(tmp_path / "out") == ("new", b"newnewnew") and hidden(tmp_path) == []


def test_replace_dir_itself_recovers_a_killed_replace_first(tmp_path):
    make_dir(tmp_path / "out", "old")
    make_dir(tmp_path / ".new", "new")
    kill_replace(tmp_path, "replace:between")
    make_dir(tmp_path / ".newer", "newer")
    replace_dir(tmp_path / ".newer", tmp_path / "out")
    assert content(tmp_path / "out") == ("newer", b"newernewernewer")
    assert hidden(tmp_path) == [".new"]  # the dead writer's temporary is its own to remove


def test_leftovers_of_a_live_process_are_not_touched(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        aside = make_dir(tmp_path / f".out.old-{sleeper.pid}", "old")
        assert recover_dir(tmp_path / "out") is None
        assert content(aside) == ("old", b"oldoldold") and not (tmp_path / "out").exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert recover_dir(tmp_path / "out") == "restored"  # once its writer is dead


def test_is_seqfeed_dir(tmp_path):
    assert is_seqfeed_dir(make_dir(tmp_path / "m", "x"))
    (tmp_path / "plain").mkdir()
    assert not is_seqfeed_dir(tmp_path / "plain") and not is_seqfeed_dir(tmp_path / "missing")
    (tmp_path / "link").symlink_to(tmp_path / "m")
    assert not is_seqfeed_dir(tmp_path / "link")


def test_second_lock_fails_at_once_naming_the_holder(tmp_path):
    first = DirLock(tmp_path / ".out.lock", what="--out out", argument="--out").acquire()
    with pytest.raises(ConfigError, match=rf"another seqfeed run \(pid {os.getpid()}\b") as e:
        DirLock(tmp_path / ".out.lock", what="--out out", argument="--out").acquire()
    assert e.value.argument == "--out" and e.value.fix
    first.release()
    assert not (tmp_path / ".out.lock").exists()
    DirLock(tmp_path / ".out.lock").acquire().release()


def test_lock_held_by_another_process_names_its_pid(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from seqfeed._fs import DirLock
        DirLock({str(tmp_path / '.out.lock')!r}).acquire()
        print("locked", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=rf"pid {holder.pid}\b"):
            DirLock(tmp_path / ".out.lock").acquire()
    finally:
        holder.kill()
        holder.wait()
    # killed with SIGKILL: the kernel dropped its lock; the stale file does not block
    assert (tmp_path / ".out.lock").exists()
    with DirLock(tmp_path / ".out.lock"):
        assert (tmp_path / ".out.lock").read_text().strip() == str(os.getpid())


def test_fault_point_fires_only_on_its_name_and_conditions(monkeypatch):
    monkeypatch.setenv("SEQFEED_FAULT", "ckpt:after_arrays:epoch=2,replace:between")
    fault_point("ckpt:after_arrays", epoch=1)  # another epoch
    fault_point("ckpt:after_arrays")  # the condition is not reported
    fault_point("ckpt:before_rename", epoch=2)  # another point
    res = run_py("from seqfeed._fs import fault_point\nfault_point('ckpt:after_arrays', epoch=2)\nprint('alive')",
                 env={"SEQFEED_FAULT": "replace:between,ckpt:after_arrays:epoch=2"})
    assert res.returncode == -signal.SIGKILL and "alive" not in res.stdout


def test_recover_removes_dead_writers_trash_and_temporaries_only(tmp_path):
    dead = run_py("import os; print(os.getpid())").stdout.strip()
    make_dir(tmp_path / "out", "current")
    for name in (f".out.trash-{dead}", f".out.tmp-{dead}", f".out.tmp-{os.getpid()}", ".out.tmp-x"):
        make_dir(tmp_path / name, "leftover")
    assert recover_dir(tmp_path / "out") is None  # nothing to restore or clean among old outputs
    assert hidden(tmp_path) == sorted([".out.tmp-x", f".out.tmp-{os.getpid()}"])
    assert content(tmp_path / "out") == ("current", b"currentcurrentcurrent")


@pytest.mark.parametrize("fsync", [False, True])
def test_atomic_file_replaces_whole_and_keeps_the_old_file_on_failure(tmp_path, fsync):
    target = tmp_path / "out.json"
    target.write_text("old")
    with atomic_file(target, fsync=fsync) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path) and os.path.basename(tmp).startswith(".out.json.")
        with open(tmp, "w") as fh:
            fh.write("new")
        assert target.read_text() == "old"  # not visible until the block ends
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["out.json"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    with pytest.raises(RuntimeError, match="half"):
        with atomic_file(target) as tmp:
            with open(tmp, "w") as fh:
                fh.write("half")
            raise RuntimeError("half written")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["out.json"]


def test_atomic_dir_builds_aside_and_replaces_an_old_directory(tmp_path):
    out = make_dir(tmp_path / "out", "old")
    with atomic_dir(out) as tmp:
        assert tmp.name == f".out.tmp-{os.getpid()}" and tmp.is_dir() and not any(tmp.iterdir())
        make_dir(tmp / "x", "ignored")
        (tmp / "seqfeed.json").write_text("new")
        assert content(out) == ("old", b"oldoldold")
    assert (out / "seqfeed.json").read_text() == "new" and sorted(p.name for p in out.iterdir()) == ["seqfeed.json", "x"]
    assert hidden(tmp_path) == []
    with pytest.raises(KeyError):
        with atomic_dir(out) as tmp:
            (tmp / "seqfeed.json").write_text("broken")
            raise KeyError("fail")
    assert (out / "seqfeed.json").read_text() == "new" and hidden(tmp_path) == []


def test_temp_dir_creates_the_parent_and_replaces_its_own_leftover(tmp_path):
    dst = tmp_path / "a" / "b" / "out"
    first = temp_dir(dst)
    (first / "stale").write_text("x")
    again = temp_dir(dst)
    assert again == first and again.is_dir() and not any(again.iterdir())


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
