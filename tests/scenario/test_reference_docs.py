"""docs/reference.md is generated from the models and must never go stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from supplylab.scenario import schema

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_reference_equals_the_generator_output() -> None:
    text = _generator().render()
    committed = (DOCS / "reference.md").read_text(encoding="utf-8")
    assert committed == text, "docs/reference.md is stale: run python docs/gen_reference.py"


def test_every_field_of_every_model_is_documented() -> None:
    gen = _generator()
    text = gen.render()
    for model in gen.all_models():
        assert f"### {model.__name__}" in text
        for name, f in model.model_fields.items():
            assert f"| `{f.alias or name}` |" in text, f"{model.__name__}.{name}"
    for section in ("products", "facilities", "customer_groups", "promotions", "disruptions"):
        assert section in schema.ScenarioModel.model_fields


def test_check_mode_reports_staleness(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    gen = _generator()
    monkeypatch.setattr(gen, "OUT", tmp_path / "reference.md")
    assert gen.main(["--check"]) == 1
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0
