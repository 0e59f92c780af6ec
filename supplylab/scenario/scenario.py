"""The validated ``Scenario`` and how it is loaded, extended, overridden and written back.

Pipeline: YAML (safe, with positions) -> ``extends:`` merge -> schema (pydantic) -> named
consistency checks -> ``Scenario``. Every problem of every stage is collected and raised once
as a ``ScenarioError`` whose lines read ``FILE:LINE:COL: dotted.path: message``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import PrivateAttr, ValidationError

from ..errors import Issue, ScenarioError
from .checks import run_checks
from .errors import explain_new_ids, new_ids, position, translate
from .network import Network
from .overrides import apply_overrides
from .schema import ScenarioModel, all_field_names
from .yaml_io import (
    LOADED_FILES,
    PathT,
    Pos,
    confine,
    dotted,
    dump_yaml,
    item_key,
    parse_yaml,
    read_yaml,
)

if TYPE_CHECKING:
    import networkx as nx


MAX_EXTENDS_DEPTH = 16


class Scenario(ScenarioModel):
    """A validated scenario: the input of the simulation and the optimisers.

    Treat it as immutable: derive variants with :meth:`with_overrides`.
    """

    _source: str = PrivateAttr(default="<scenario>")
    _positions: dict[PathT, Pos] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> str:
        """The file it was loaded from (or a placeholder)."""
        return self._source

    @cached_property
    def network(self) -> Network:
        """The derived network (customers expanded, lanes resolved)."""
        return Network(self)

    def graph(self) -> nx.DiGraph:
        """The network as a networkx DiGraph (see :meth:`Network.graph`)."""
        return self.network.graph()

    def data(self) -> dict[str, Any]:
        """The scenario as plain data (only the fields that were written, JSON types)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    @property
    def sha256(self) -> str:
        """Hash of the full canonical content (defaults included): same scenario, same hash."""
        text = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_yaml(self) -> str:
        """YAML text that loads back into an equal scenario."""
        return dump_yaml(self.data())

    def save(self, path: str | Path) -> None:
        """Write the scenario as YAML atomically (temp file + rename)."""
        from ..io import write_text_atomic

        write_text_atomic(Path(path), self.to_yaml())

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new validated scenario with ``{dotted.path: value}`` applied.

        Raises ``ScenarioError`` naming the path when a path does not exist or a value is
        invalid.
        """
        data = self.data()
        try:
            new = apply_overrides(data, overrides)
        except KeyError as exc:
            path, msg = exc.args
            raise ScenarioError([Issue("--set", 0, 0, path, msg)], "--set") from None
        positions = dict(self._positions)
        return build(new, positions, self._source, overridden=set(overrides))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.model_dump(by_alias=True) == other.model_dump(by_alias=True)

    __hash__ = None  # type: ignore[assignment]


_VOCABULARY: set[str] | None = None


def _vocabulary() -> set[str]:
    global _VOCABULARY
    if _VOCABULARY is None:
        _VOCABULARY = all_field_names()
    return _VOCABULARY


def build(data: Any, positions: dict[PathT, Pos], file: str,
          overridden: set[str] | None = None) -> Scenario:
    """Validate plain data into a ``Scenario`` or raise one ``ScenarioError`` with every issue."""
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, 1, 1, "", "a scenario is a mapping of keys "
                                   "(name, products, facilities, ...), not a "
                                   f"{type(data).__name__}")], file)
    data = _without_closed_sites(data, positions, file)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        issues = translate(exc, data, positions, file, _vocabulary())
        issues += _second_pass(data, exc, positions, file)
        issues = sorted(set(issues), key=lambda i: (i.file, i.line, i.col, i.path, i.message))
        raise ScenarioError(_mark_overrides(issues, overridden, positions), file) from None
    findings = run_checks(sc)
    if findings:
        raise ScenarioError(_mark_overrides(_issues(findings, positions, file), overridden), file)
    sc._source = file
    sc._positions = positions
    return sc


def _without_closed_sites(data: dict[str, Any], positions: dict[PathT, Pos],
                          file: str) -> dict[str, Any]:
    """The data without the facilities marked ``open: false`` and the lanes and disruptions
    that name them; a site that replenishes from, or a customer served by, a closed site is an
    error (pointing at the reference)."""
    facs = data.get("facilities")
    if not isinstance(facs, list):
        return data
    closed = {f.get("id") for f in facs if isinstance(f, dict) and f.get("open") is False}
    if not closed:
        return data
    bad: list[tuple[PathT, str]] = []
    for f in facs:
        if not isinstance(f, dict) or f.get("id") in closed:
            continue
        rf = f.get("replenish_from")
        for key, src in (rf.items() if isinstance(rf, dict) else [(None, rf)]):
            if src in closed:
                path = ("facilities", f.get("id"), "replenish_from") + ((key,) if key else ())
                bad.append((path, f"replenishes from {src!r}, which is closed (open: false)"))
    for section, key in (("customers", "id"), ("customer_groups", "id_prefix")):
        for c in data.get(section) or []:
            if not isinstance(c, dict):
                continue
            if c.get("served_by") in closed:
                bad.append(((section, c.get(key), "served_by"),
                            f"served by {c['served_by']!r}, which is closed (open: false)"))
            members = c.get("served_by_members")
            for cid, site in (members.items() if isinstance(members, dict) else []):
                if site in closed:
                    bad.append(((section, c.get(key), "served_by_members", cid),
                                f"served by {site!r}, which is closed (open: false)"))
    if bad:
        issues = []
        for path, msg in bad:
            fpath, line, col = position(positions, path, file)
            issues.append(Issue(fpath, line, col, dotted(path), msg))
        raise ScenarioError(issues, file)
    out = dict(data)
    out["facilities"] = [f for f in facs if not (isinstance(f, dict) and f.get("id") in closed)]
    if isinstance(data.get("lanes"), list):
        out["lanes"] = [ln for ln in data["lanes"] if not (
            isinstance(ln, dict) and (ln.get("from") in closed or ln.get("to") in closed))]
    if isinstance(data.get("disruptions"), list):
        out["disruptions"] = [d for d in data["disruptions"]
                              if not (isinstance(d, dict) and d.get("target") in closed)]
    return out


def _issues(findings: list[Any], positions: dict[PathT, Pos], file: str) -> list[Issue]:
    issues = []
    for f in findings:
        fpath, line, col = position(positions, f.path, file)
        issues.append(Issue(fpath, line, col, dotted(f.path), f.message))
    return sorted(issues, key=lambda i: (i.file, i.line, i.col, i.path))


_GONE = object()


def _second_pass(data: dict[str, Any], exc: ValidationError, positions: dict[PathT, Pos],
                 file: str) -> list[Issue]:
    """Cross-reference issues of the parts that passed the schema, so a file's problems are
    reported together. The data is repaired for this pass only: an invalid key is removed (its
    default applies); an entity missing a required field is set aside, and references to it are
    not reported; checks that would judge the rest against reset settings are skipped."""
    pruned = copy.deepcopy(data)
    set_aside: set[str] = set()
    reset: set[str] = set()
    error = exc
    for _ in range(4):
        for err in error.errors(include_url=False):
            if not _mark_gone(pruned, tuple(err["loc"]), err["type"] == "missing", set_aside,
                              reset):
                return []
        pruned = _compact(pruned)
        try:
            partial = Scenario.model_validate(pruned)
        except ValidationError as again:
            error = again
            continue
        findings = run_checks(partial, frozenset(set_aside), frozenset(reset))
        return _issues(findings, positions, file)
    return []


def _mark_gone(data: dict[str, Any], loc: tuple[Any, ...], missing: bool, set_aside: set[str],
               reset: set[str]) -> bool:
    """Mark what ``loc`` points at as gone: the invalid key itself, or its whole entity (a
    list item of a section, or a tier) when a required field is missing. False if hopeless."""
    if not loc or loc[0] not in data:
        return False
    reset.add(str(loc[0]))
    trail: list[tuple[Any, Any]] = []  # (container, key) down to the deepest existing value
    node: Any = data
    for el in loc:
        if isinstance(node, dict) and el in node or isinstance(node, list) and isinstance(el, int) and 0 <= el < len(node):
            trail.append((node, el))
            node = node[el]
    entity = 2 if isinstance(data[loc[0]], list) or loc[0] == "tiers" else 1
    container, key = trail[min(len(trail), entity) - 1] if missing else trail[-1]
    if entity == 2 and container is data[loc[0]]:  # a whole entity: references to it are moot
        ident = item_key(container[key], key) if isinstance(container, list) else key
        if isinstance(ident, str):
            set_aside.add(ident)
    container[key] = _GONE
    return True


def _compact(node: Any) -> Any:
    """A copy without the values marked gone."""
    if isinstance(node, dict):
        return {k: _compact(v) for k, v in node.items() if v is not _GONE}
    if isinstance(node, list):
        return [_compact(v) for v in node if v is not _GONE]
    return node


def _mark_overrides(issues: list[Issue], overridden: set[str] | None,
                    positions: dict[PathT, Pos] | None = None) -> list[Issue]:
    """Issues on overridden paths point at --set rather than at the file's old line; so do
    issues on a key that only an override created (``simulaton`` of ``simulaton.seed=1``)."""
    if not overridden:
        return issues
    in_file = {dotted(p) for p in positions} if positions else set()
    out = []
    for i in issues:
        hit = next((o for o in overridden if i.path == o or i.path.startswith(o + ".")
                    or (o.startswith(i.path + ".") and i.path not in in_file)), None)
        out.append(Issue("--set", 0, 0, i.path, i.message) if hit else i)
    return out


def merge(base: Any, child: Any) -> Any:
    """``extends`` merge: mappings merge key by key, lists of items with ids merge by id,
    anything else in the child replaces the base."""
    if isinstance(base, dict) and isinstance(child, dict):
        out = dict(base)
        for k, v in child.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(child, list) and _all_ided(base) and _all_ided(child):
        index = {item_key(it, i): i for i, it in enumerate(base)}
        out_list = list(base)
        for i, it in enumerate(child):
            key = item_key(it, i)
            if key in index:
                out_list[index[key]] = merge(base[index[key]], it)
            else:
                out_list.append(copy.deepcopy(it))
        return out_list
    return copy.deepcopy(child)


def _all_ided(items: list[Any]) -> bool:
    return all(not isinstance(item_key(it, i), int) for i, it in enumerate(items))


def _read_with_extends(path: Path, depth: int, chain: tuple[str, ...],
                       added: list[Any] | None = None) -> tuple[Any, dict[PathT, Pos]]:
    data, positions = read_yaml(path)
    if not isinstance(data, dict) or "extends" not in data:
        return data, positions
    ext = data.pop("extends")
    f, line, col = positions.get(("extends",), (str(path), 0, 0))
    if not isinstance(ext, str) or not ext:
        raise ScenarioError([Issue(f, line, col, "extends", "extends needs a file name")], f)
    base_path, refused = confine(ext, path.parent, Path(chain[0]).parent)
    if refused:
        raise ScenarioError([Issue(f, line, col, "extends", refused)], f)
    if str(base_path) in chain:
        raise ScenarioError([Issue(f, line, col, "extends", "extends loops back to "
                                   f"{base_path.name}: " + " -> ".join(Path(c).name for c in
                                                                       (*chain, str(base_path))))],
                            f)
    if depth >= MAX_EXTENDS_DEPTH:
        raise ScenarioError([Issue(f, line, col, "extends", "extends is nested more than "
                                   f"{MAX_EXTENDS_DEPTH} levels deep")], f)
    if not base_path.exists():
        raise ScenarioError([Issue(f, line, col, "extends", f"the base file {ext!r} does not "
                                   f"exist (looked in {path.parent})")], f)
    base, base_pos = _read_with_extends(base_path, depth + 1, (*chain, str(base_path)))
    if not isinstance(base, dict):
        raise ScenarioError([Issue(f, line, col, "extends", f"the base file {ext!r} is not a "
                                   f"scenario: it holds a {type(base).__name__}, not a mapping "
                                   "of keys")], f)
    merged = merge(base, data)
    if added is not None:
        added += [(*item, base_path.name) for item in new_ids(base, data)]
    merged_pos = dict(base_pos)
    merged_pos.update({k: v for k, v in positions.items() if k != ("extends",)})
    return merged, merged_pos


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load, merge ``extends:``, validate and check a scenario file.

    ``overrides`` (``{dotted.path: value}``) are applied before validation. Raises
    ``ScenarioError`` listing every problem found (file, line, column, path, message).
    """
    p = Path(path)
    LOADED_FILES.add(p.resolve())
    added: list[Any] = []
    data, positions = _read_with_extends(p, 0, (str(p.resolve()),), added)
    if overrides and isinstance(data, dict):
        try:
            data = apply_overrides(data, overrides)
        except KeyError as exc:
            opath, msg = exc.args
            raise ScenarioError([Issue("--set", 0, 0, opath, msg)], "--set") from None
    try:
        return build(data, positions, str(path), overridden=set(overrides or {}))
    except ScenarioError as exc:
        issues = exc.issues
        for *item, base_file in added:
            issues = explain_new_ids(issues, [tuple(item)], base_file)
        if issues == exc.issues:
            raise
        raise ScenarioError(issues, str(path)) from None


def loads(text: str, file: str = "<string>") -> Scenario:
    """Validate a scenario given as YAML text (no ``extends``)."""
    data, positions = parse_yaml(text, file)
    if isinstance(data, dict) and "extends" in data:
        raise ScenarioError([Issue(file, *positions.get(("extends",), (file, 0, 0))[1:],
                                   "extends", "extends needs a file: use load(path)")], file)
    return build(data, positions, file)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario language (for editors)."""
    schema = ScenarioModel.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "supplylab scenario"
    schema.setdefault("properties", {})["extends"] = {
        "type": "string", "description": "A base scenario file whose keys this one overrides "
        "(lists merge by id)."}
    required = schema.pop("required", None)
    if required:  # a file that extends a base leaves the required keys to it
        schema["if"] = {"not": {"required": ["extends"]}}
        schema["then"] = {"required": required}
    return schema
