"""The README's Python blocks run as written (the model block with 1 epoch instead of 30)."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_starts_with_make_run_and_make_test():
    assert README.read_text().splitlines()[:2] == ["make run  ", "make test  "]


def test_readme_tour_and_csv_blocks_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = _blocks()
    assert len(blocks) == 4
    ns: dict = {}
    exec(compile(blocks[0], "README tour", "exec"), ns)
    assert len(ns["list_of_arrays"]) == 270 and len(ns["train"]) + len(ns["val"]) == 270
    assert ns["b"].x.shape == (3, 15, 1)
    exec(compile(blocks[2], "README csv", "exec"), {})
    assert (tmp_path / "data" / "japanese_vowels_train.csv").exists()
    out = capsys.readouterr().out
    assert "is ambiguous" in out and "270" in out


@pytest.mark.tf
def test_readme_model_block_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = _blocks()
    ns: dict = {}
    exec(compile(blocks[0], "README tour", "exec"), ns)
    model_block = blocks[1].replace("epochs=30", "epochs=1")
    assert model_block != blocks[1]
    exec(compile(model_block, "README model", "exec"), ns)
    res = ns["model"].evaluate(ns["test"])
    assert res["n"] == 370 and 0.0 <= res["accuracy"] <= 1.0
    assert (tmp_path / "runs" / "vowels" / "seqfeed.json").exists()


@pytest.mark.tf
def test_readme_recipe_block_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    block = _blocks()[3]
    fast = block.replace("epochs=40", "epochs=1, units=8, normalize='global'")  # no scaling search
    assert fast != block
    exec(compile(fast, "README recipe", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    metrics = (tmp_path / "runs" / "vowels_py" / "metrics.json").read_text()
    assert lines[0].split()[0] in metrics and lines[3] == "# seqfeed model: classify on `japanese_vowels`"
    assert len(lines[4].split()) == 5
