"""Safe YAML: what is not a scenario file fails cleanly, quickly and with a position."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from supplylab.errors import Issue, ScenarioError
from supplylab.scenario import load, loads, yaml_io

from .conftest import BASE, line_of, mutate, only

Issues = Callable[[str], list[Issue]]


def test_not_yaml(issues: Issues) -> None:
    i = only(issues("name: x\nproducts: [1, 2\nfacilities: []\n"))
    assert i.message.startswith("not valid YAML: ")
    assert i.line >= 2 and i.path == ""


def test_tab_indentation_is_not_yaml(issues: Issues) -> None:
    i = only(issues("name: x\nproducts:\n\t- id: P1\n"))
    assert i.message.startswith("not valid YAML")
    assert i.line == 3


def test_binary_file(write: Callable[..., Path]) -> None:
    p = write("")
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(ScenarioError) as exc:
        load(p)
    assert "not UTF-8 text" in only(exc.value.issues).message


def test_empty_file(issues: Issues) -> None:
    i = only(issues(""))
    assert i.message == "the file is empty: a scenario needs at least `products`"
    assert i.line == 0


def test_only_comments_is_empty(issues: Issues) -> None:
    assert "the file is empty" in only(issues("# nothing here\n")).message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as exc:
        load(tmp_path / "nope.yaml")
    assert only(exc.value.issues).message.startswith("cannot read the file")


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as exc:
        load(tmp_path)
    assert "folder" in only(exc.value.issues).message


def test_not_a_mapping(issues: Issues) -> None:
    i = only(issues("- a\n- b\n"))
    assert "a scenario is a mapping of keys" in i.message
    assert "not a list" in i.message


def test_several_documents(issues: Issues) -> None:
    text = BASE + "---\nname: another\n"
    i = only(issues(text))
    assert i.message == "the file holds several YAML documents (---); keep one"
    assert i.line == line_of(text, "name: another")  # where the second document starts


def test_huge_file(write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_io, "MAX_BYTES", 1024)
    p = write(BASE + "#" * 2048 + "\n")
    with pytest.raises(ScenarioError) as exc:
        load(p)
    assert "MiB a scenario may have" in only(exc.value.issues).message


def billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    prev = "a"
    for name in "bcdefghijk"[: levels - 1]:
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text + f"products: *{prev}\n"


def test_yaml_bomb_is_refused_quickly(issues: Issues) -> None:
    t0 = time.perf_counter()
    i = only(issues(billion_laughs()))
    assert time.perf_counter() - t0 < 1.0
    assert "expands to more than" in i.message and "alias bomb" in i.message
    assert i.line > 1 and i.path


def test_small_anchors_are_fine(write: Callable[..., Path]) -> None:
    text = mutate("      default: {policy: sS, s: 10, S: 40}",
                  "      default: &pol {policy: sS, s: 10, S: 40}")
    text = mutate("      default: {policy: sS, s: 5, S: 20}", "      default: *pol", text)
    sc = load(write(text))
    assert sc.facilities[1].inventory.default == sc.facilities[0].inventory.default


def test_merge_keys_are_fine(write: Callable[..., Path]) -> None:
    text = BASE + ("customer_groups:\n  - &g {id_prefix: G-, count: 3, tier_mix: {gold: 1},\n"
                   "       region: {center: {lat: 50, lon: 9}, radius_km: 20},\n"
                   "       orders_per_day: 1, product_mix: {P1: 1}}\n"
                   "  - {<<: *g, id_prefix: H-, strategy: classic}\n")
    sc = load(write(text))
    assert [g.id_prefix for g in sc.customer_groups] == ["G-", "H-"]
    assert sc.customer_groups[1].count == 3


def test_recursive_alias(issues: Issues) -> None:
    i = only(issues("name: x\nproducts: &p [*p]\n"))
    assert i.message == "recursive alias: a node contains itself"
    assert i.line == 2


@pytest.mark.parametrize("value", [
    "!!python/object:os.system {}",
    "!!python/object/apply:os.system [echo hi]",
    "!!python/name:os.system",
    "!custom 3",
])
def test_tags_that_build_objects_are_refused(issues: Issues, value: str) -> None:
    i = only(issues(f"name: {value}\nproducts: []\n"))
    assert "is not allowed: YAML is read safely" in i.message
    assert (i.line, i.path) == (1, "name")


def test_duplicate_keys(issues: Issues) -> None:
    text = mutate("    price: 20\n", "    price: 20\n    price: 30\n")
    i = only(issues(text))
    assert i.message == "duplicate key 'price' (the second would silently replace the first)"
    assert i.line == line_of(text, "price: 30")
    assert i.path.endswith(".price")


def test_loads_refuses_extends() -> None:
    with pytest.raises(ScenarioError) as exc:
        loads("extends: base.yaml\n" + BASE)
    assert "extends needs a file" in only(exc.value.issues).message
