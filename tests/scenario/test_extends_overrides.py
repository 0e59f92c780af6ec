"""``extends:`` (lists merge by id, missing base, loops) and dotted-path overrides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from supplylab.errors import ScenarioError
from supplylab.scenario import Scenario, load, parse_assignment, split_path

from .conftest import BASE, only

Write = Callable[..., Path]


# ------------------------------------------------------------------ extends
def test_extends_merges_lists_by_id(write: Write) -> None:
    write(BASE, "base.yaml")
    child = write("""\
extends: base.yaml
name: child
products:
  - {id: P2, price: 25}              # overrides one field of P2, keeps the rest
  - {id: P3, price: 5, unit_cost: 1} # a new product
suppliers:
  - {id: SUP, products: [P1, P2, P3]}
simulation: {horizon_days: 200}
""", "child.yaml")
    sc = load(child)
    assert sc.name == "child"
    assert [p.id for p in sc.products] == ["P1", "P2", "P3"]
    p2 = sc.products[1]
    assert (p2.price, p2.unit_cost) == (25, 8)
    assert sc.simulation.horizon_days == 200 and sc.simulation.warmup_days == 10
    assert sc.suppliers[0].lead_time.mean() == 2  # kept from the base


def test_errors_in_the_child_point_at_the_child(write: Write) -> None:
    write(BASE, "base.yaml")
    child = write("extends: base.yaml\nproducts:\n  - {id: P2, price: -1}\n", "child.yaml")
    with pytest.raises(ScenarioError) as exc:
        load(child)
    i = only(exc.value.issues)
    assert (i.file, i.line, i.path) == (str(child), 3, "products.P2.price")


def test_errors_in_the_base_point_at_the_base(write: Write) -> None:
    base = write(BASE.replace("reliability: 0.9", "reliability: 2"), "base.yaml")
    child = write("extends: base.yaml\nname: child\n", "child.yaml")
    with pytest.raises(ScenarioError) as exc:
        load(child)
    i = only(exc.value.issues)
    assert (i.file, i.path) == (str(base), "suppliers.SUP.reliability")


def test_extends_missing_base(write: Write) -> None:
    child = write("name: child\nextends: nowhere.yaml\n", "child.yaml")
    with pytest.raises(ScenarioError) as exc:
        load(child)
    i = only(exc.value.issues)
    assert i.path == "extends" and i.line == 2
    assert i.message.startswith("the base file 'nowhere.yaml' does not exist")


def test_extends_loop(write: Write) -> None:
    write("extends: b.yaml\n" + BASE, "a.yaml")
    b = write("extends: a.yaml\nname: b\n", "b.yaml")
    with pytest.raises(ScenarioError) as exc:
        load(b)
    i = only(exc.value.issues)
    assert i.path == "extends"
    assert i.message.startswith("extends loops back to")
    assert "b.yaml -> a.yaml -> b.yaml" in i.message


def test_extends_itself(write: Write) -> None:
    a = write("extends: a.yaml\n" + BASE, "a.yaml")
    with pytest.raises(ScenarioError) as exc:
        load(a)
    assert "loops back" in only(exc.value.issues).message


def test_extends_needs_a_file_name(write: Write) -> None:
    a = write("extends: [x]\n" + BASE, "a.yaml")
    with pytest.raises(ScenarioError) as exc:
        load(a)
    assert only(exc.value.issues).message == "extends needs a file name"


# ------------------------------------------------------------------ overrides
def test_with_overrides_new_per_product_policy(base: Scenario) -> None:
    sc = base.with_overrides({"facilities.DC.inventory.P1.level": 350,
                              "facilities.DC.inventory.P1.policy": "base_stock"})
    pol = sc.facilities[0].inventory.policy_for("P1")
    assert pol.policy == "base_stock" and pol.level == 350
    assert base.facilities[0].inventory.policy_for("P1").policy == "sS"  # base unchanged


def test_with_overrides_the_documented_example(write: Write) -> None:
    text = BASE.replace("      default: {policy: sS, s: 10, S: 40}",
                        "      default: {policy: sS, s: 10, S: 40}\n"
                        "      P1: {policy: base_stock, level: 300}")
    sc = load(write(text)).with_overrides({"facilities.DC.inventory.P1.level": 350})
    assert sc.facilities[0].inventory.policy_for("P1").level == 350


def test_override_unknown_id_suggests(base: Scenario) -> None:
    with pytest.raises(ScenarioError) as exc:
        base.with_overrides({"facilities.DCC.inventory.default.s": 5})
    i = only(exc.value.issues)
    assert (i.file, i.path) == ("--set", "facilities.DCC.inventory.default.s")
    assert i.message == "no item 'DCC' in facilities (did you mean 'DC'?)"


def test_override_invalid_value_names_the_path(base: Scenario) -> None:
    with pytest.raises(ScenarioError) as exc:
        base.with_overrides({"suppliers.SUP.reliability": 3})
    i = only(exc.value.issues)
    assert (i.file, i.path) == ("--set", "suppliers.SUP.reliability")
    assert "less than or equal to 1" in i.message


def test_override_unknown_field(base: Scenario) -> None:
    with pytest.raises(ScenarioError) as exc:
        base.with_overrides({"simulation.horizon": 5})
    assert "did you mean 'horizon_days'?" in only(exc.value.issues).message


def test_override_bracketed_key_with_a_dot(base: Scenario) -> None:
    sc = base.with_overrides({"products.P1.promotion_lift[0.1]": 1.5})
    assert sc.products[0].promotion_lift == {0.1: 1.5}
    sc2 = sc.with_overrides({"products.P1.promotion_lift[0.1]": 1.7})
    assert sc2.products[0].promotion_lift == {0.1: 1.7}


def test_override_list_item_by_index_and_whole_sections(base: Scenario) -> None:
    sc = base.with_overrides({"products.0.price": 11, "simulation": {"horizon_days": 50}})
    assert sc.products[0].price == 11
    assert sc.simulation.horizon_days == 50 and sc.simulation.warmup_days == 0


def test_overrides_through_load(write: Write) -> None:
    sc = load(write(BASE), {"tiers.gold.priority": 3, "costs.holding_rate_per_year": 0.3})
    assert sc.tiers["gold"].priority == 3
    assert sc.costs.holding_rate_per_year == 0.3


@pytest.mark.parametrize(("path", "segments"), [
    ("facilities.DC-SH.inventory.MON-15.level", ["facilities", "DC-SH", "inventory", "MON-15",
                                                  "level"]),
    ("products.P1.promotion_lift[0.1]", ["products", "P1", "promotion_lift", "0.1"]),
    ("a[b.c].d", ["a", "b.c", "d"]),
])
def test_split_path(path: str, segments: list[str]) -> None:
    assert split_path(path) == segments


@pytest.mark.parametrize("bad", ["", "a.", " a", "a..b"])
def test_split_path_refuses_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        split_path(bad)


def test_parse_assignment_reads_yaml_values() -> None:
    assert parse_assignment("a.b=350") == ("a.b", 350)
    assert parse_assignment("a=[1, 2]") == ("a", [1, 2])
    assert parse_assignment("a={}") == ("a", {})
    assert parse_assignment("a=fifo") == ("a", "fifo")
    with pytest.raises(ValueError):
        parse_assignment("no-equals-sign")


def test_override_level_on_a_site_whose_default_is_ss(base: Scenario) -> None:
    sc = base.with_overrides({"facilities.DC.inventory.P1.level": 350})
    pol = sc.facilities[0].inventory.policy_for("P1")
    assert (pol.policy, pol.level) == ("base_stock", 350)


def test_override_switches_the_policy_kind(base: Scenario) -> None:
    sc = base.with_overrides({"facilities.DC.inventory.default.policy": "rQ",
                              "facilities.DC.inventory.default.r": 5,
                              "facilities.DC.inventory.default.Q": 30})
    pol = sc.facilities[0].inventory.default
    assert (pol.policy, pol.r, pol.Q) == ("rQ", 5, 30)


def test_override_copies_the_default_for_its_own_fields(base: Scenario) -> None:
    sc = base.with_overrides({"facilities.DC.inventory.P2.s": 15})
    pol = sc.facilities[0].inventory.policy_for("P2")
    assert (pol.policy, pol.s, pol.S) == ("sS", 15, 40)


# ------------------------------------------------------------------ confinement
def test_extends_outside_the_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    from supplylab.scenario import allow_paths

    monkeypatch.chdir(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "base.yaml").write_text(BASE)
    project = tmp_path / "project" / "scenarios"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)  # the working folder does not cover ../../outside
    for ext in ("../../outside/base.yaml", str(outside / "base.yaml"), "/etc/passwd"):
        child = project / "child.yaml"
        child.write_text(f"extends: {ext}\nname: child\n")
        with pytest.raises(ScenarioError) as exc:
            load(child)
        i = only(exc.value.issues)
        assert i.path == "extends" and "outside the scenario's folder" in i.message
        assert "--allow-path" in i.message and "root:" not in i.message
    allow_paths([outside])
    try:
        child.write_text("extends: ../../outside/base.yaml\nname: child\n")
        assert load(child).name == "child"
    finally:
        allow_paths([])


def test_extends_a_symlink_out_of_the_folder_is_refused(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret.yaml").write_text(BASE)
    inner = tmp_path / "inner"
    inner.mkdir()
    monkeypatch.chdir(inner)
    (inner / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    (inner / "child.yaml").write_text("extends: link.yaml\n")
    with pytest.raises(ScenarioError, match="outside the scenario's folder"):
        load(inner / "child.yaml")


def test_extends_a_non_mapping_is_refused(write: Write) -> None:
    write("just some text\nthat is not a scenario\n", "notes.yaml")
    write("- a\n- b\n", "list.yaml")
    for target in ("notes.yaml", "list.yaml"):
        child = write(f"extends: {target}\n" + BASE, "child.yaml")
        with pytest.raises(ScenarioError) as exc:
            load(child)
        i = only(exc.value.issues)
        assert i.path == "extends" and "is not a scenario" in i.message
        assert "some text" not in i.message


def test_values_from_a_base_are_not_echoed_in_full(write: Write) -> None:
    secret = "s3cr3t-" + "x" * 200
    write(BASE.replace("name: test scenario", f"name: test\nnonsense: {secret}"), "base.yaml")
    child = write("extends: base.yaml\n", "child.yaml")
    with pytest.raises(ScenarioError) as exc:
        load(child)
    text = str(exc.value)
    assert "nonsense" in text and secret not in text
    write(BASE.replace("price: 10", f"price: '{secret}'"), "base.yaml")
    with pytest.raises(ScenarioError) as exc:
        load(child)
    assert "products.P1.price" in str(exc.value) and secret not in str(exc.value)


def test_cli_allow_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from supplylab.cli import main

    (tmp_path / "base.yaml").write_text(BASE)
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "child.yaml").write_text("extends: ../base.yaml\nname: child\n")
    monkeypatch.chdir(inner)
    assert main(["validate", "child.yaml"]) == 2
    assert main(["--allow-path", str(tmp_path), "validate", "child.yaml"]) == 0
    assert main(["validate", "child.yaml"]) == 2  # the opt-in lasts one command


def test_a_variant_may_extend_a_file_loaded_by_name(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An optimiser writes out/x.yaml extending the input it was given: that input was loaded
    by name in this process, so the variant may reach it wherever it lies."""
    inputs = tmp_path / "inputs"
    out = tmp_path / "elsewhere" / "out"
    inputs.mkdir()
    out.mkdir(parents=True)
    monkeypatch.chdir(out)
    (inputs / "base.yaml").write_text(BASE)
    (out / "variant.yaml").write_text("extends: ../../inputs/base.yaml\nname: variant\n")
    with pytest.raises(ScenarioError, match="outside the scenario's folder"):
        load(out / "variant.yaml")
    load(inputs / "base.yaml")
    assert load(out / "variant.yaml").name == "variant"
