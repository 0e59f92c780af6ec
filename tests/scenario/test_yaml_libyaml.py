"""libyaml composes the documents it reads exactly as the pure-Python parser does; every other
document (and every error) goes through the pure-Python parser, so messages do not depend on
whether libyaml is installed (supplylab/scenario/yaml_io.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplylab.errors import InputError
from supplylab.scenario import yaml_io

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("experiments/*.yaml")])

pytestmark = pytest.mark.skipif(yaml_io.CLoader is None, reason="PyYAML without libyaml")


def _parse(text: str, fast: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(yaml_io, "CLoader", yaml_io.CLoader if fast else None)
    try:
        return yaml_io.parse_yaml(text, "f.yaml")
    except InputError as exc:
        return [str(i) for i in exc.issues]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_libyaml_gives_the_same_data_and_positions(path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    assert yaml_io._compose_fast(text) is not None  # the repository's files take the fast path
    assert _parse(text, True, monkeypatch) == _parse(text, False, monkeypatch)


@pytest.mark.parametrize("text", [
    "a: 1\nb:\t2\n",                 # a tab libyaml would read as a space
    "a: {b: 1, c?d: 2}\n",           # '?' in a flow mapping's plain scalar
    "a: {b: !4, c: 2}\n",            # a tag libyaml reads differently in flow
    "a: >#\n  text\n",               # a block scalar header glued to a comment
    "\ufeffa: 1\n",                  # a byte-order mark (columns counted otherwise)
    "a: [1, 2\n",                    # a syntax error: the pure-Python message
    "a: 1\n---\nb: 2\n",             # several documents
    "[" * 150 + "]" * 150 + "\n",    # nested too deep
    "a: \x07\n",                     # a control character
])
def test_documents_libyaml_reads_otherwise_take_the_pure_python_parser(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert yaml_io._compose_fast(text) is None
    assert _parse(text, True, monkeypatch) == _parse(text, False, monkeypatch)


def test_nesting_up_to_the_limit_is_composed_by_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    depth = yaml_io.MAX_DEPTH - 1  # lists at depths 1..99, the number at depth 100
    text = "[" * depth + "1" + "]" * depth + "\n"
    assert yaml_io._compose_fast(text) is not None
    deeper = "[" + text.strip() + "]\n"
    assert yaml_io._compose_fast(deeper) is None
    assert "nested more than" in _parse(deeper, True, monkeypatch)[0]
