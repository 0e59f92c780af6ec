"""Safe YAML reading that remembers where every value came from.

``read_yaml`` returns plain Python data plus a map from *id paths* to (file, line, col). An id
path is a tuple of keys where list items that carry an ``id`` (or ``id_prefix``) are named by
it, so positions survive ``extends:`` merges and overrides, and error messages can say
``facilities.DC-SH.inventory.MON-15.level`` instead of ``facilities[3]...``.

Guards: files over ``MAX_BYTES``, documents that expand (through aliases) to more than
``MAX_NODES`` nodes (YAML bombs), recursive aliases, duplicate keys and object-building tags are
clean ``ScenarioError``s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import Issue, ScenarioError

MAX_BYTES = 50 * 1024 * 1024
MAX_NODES = 2_000_000

Pos = tuple[str, int, int]
PathT = tuple[Any, ...]


def item_key(item: Any, index: int) -> Any:
    """How a list item is named in an id path: its ``id``/``id_prefix``, else its index."""
    if isinstance(item, dict):
        for k in ("id", "id_prefix"):
            v = item.get(k)
            if isinstance(v, str | int) and not isinstance(v, bool):
                return str(v)
    return index


def dotted(path: PathT) -> str:
    """A path as the dotted string users write (keys with dots in brackets)."""
    out: list[str] = []
    for p in path:
        s = str(p)
        if "." in s or " " in s:
            out.append(f"[{s}]")
        else:
            out.append(s)
    return ".".join(out).replace(".[", "[")


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[PathT, Pos] = {}
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")

    def fail(self, node: yaml.Node | None, msg: str, path: PathT = ()) -> ScenarioError:
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (0, 0)
        return ScenarioError([Issue(self.file, line, col, dotted(path), msg)], self.file)

    def mark(self, path: PathT, node: yaml.Node) -> None:
        self.positions.setdefault(path, (self.file, node.start_mark.line + 1,
                                         node.start_mark.column + 1))

    def convert(self, node: yaml.Node, path: PathT, stack: frozenset[int]) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"the document expands to more than {MAX_NODES:,} values "
                            "(an alias bomb?); simplify its anchors and aliases", path)
        if id(node) in stack:
            raise self.fail(node, "recursive alias: a node contains itself", path)
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise self.fail(node, f"tag {node.tag!r} is not allowed: YAML is read safely "
                                "(no tags that build objects)", path)
            try:
                return self.constructor.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                raise self.fail(node, f"cannot read this value: {_first_line(exc)}", path) from None
        inner = stack | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            if node.tag not in ("tag:yaml.org,2002:seq",):
                raise self.fail(node, f"tag {node.tag!r} is not allowed: YAML is read safely "
                                "(no tags that build objects)", path)
            items: list[Any] = []
            used: set[Any] = set()
            for i, child in enumerate(node.value):
                # name by id once the child is built; position first under the index
                value = self.convert(child, (*path, i), inner)
                key = item_key(value, i)
                if key in used:  # a duplicate id keeps its index, so errors can point at it
                    key = i
                used.add(key)
                if key != i:
                    self._rename(path, i, key)
                self.mark((*path, key), child)
                items.append(value)
            return items
        if isinstance(node, yaml.MappingNode):
            if node.tag not in ("tag:yaml.org,2002:map",):
                raise self.fail(node, f"tag {node.tag!r} is not allowed: YAML is read safely "
                                "(no tags that build objects)", path)
            out: dict[Any, Any] = {}
            merged: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    src = self.convert(value_node, path, inner)
                    for m in src if isinstance(src, list) else [src]:
                        if not isinstance(m, dict):
                            raise self.fail(value_node, "a merge key (<<) needs a mapping", path)
                        merged.update(m)
                    continue
                key = self.convert(key_node, path, inner)
                if isinstance(key, list | dict):
                    raise self.fail(key_node, "a key must be a plain value", path)
                if key in out:
                    raise self.fail(key_node, f"duplicate key {key!r} (the second would "
                                    "silently replace the first)", (*path, key))
                self.mark((*path, key), key_node)
                out[key] = self.convert(value_node, (*path, key), inner)
            for k, v in merged.items():
                out.setdefault(k, v)
            return out
        raise self.fail(node, "unsupported YAML node", path)

    def _rename(self, path: PathT, index: int, key: Any) -> None:
        n = len(path)
        moved = {p: v for p, v in self.positions.items() if len(p) > n and p[:n] == path
                 and p[n] == index}
        for p, v in moved.items():
            del self.positions[p]
            self.positions[(*path, key, *p[n + 1:])] = v


_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "timestamp", "value", "merge"))


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse documents whose aliases expand to more than ``MAX_NODES`` values (YAML bombs).

    Sizes are counted on the node graph with memoisation (each distinct node once), so a
    billion-laughs document is refused in microseconds instead of being expanded first.
    Recursive aliases are left to the reader, which reports them with their path.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active or isinstance(node, yaml.ScalarNode):
            return 1
        active.add(key)
        if isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(c) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            n = 1
        active.discard(key)
        sizes[key] = n = min(n, MAX_NODES + 1)
        return n

    if size(root) <= MAX_NODES:
        return
    # point at the first top-level entry that is too big (else at the document)
    where, line, col = "", root.start_mark.line + 1, root.start_mark.column + 1
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if size(v) > MAX_NODES // 2 and isinstance(k, yaml.ScalarNode):
                where, line, col = str(k.value), k.start_mark.line + 1, k.start_mark.column + 1
                break
    raise ScenarioError([Issue(file, line, col, where, f"the document expands to more than "
                               f"{MAX_NODES:,} values through its aliases (an alias bomb?); "
                               "simplify its anchors and aliases")], file)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_yaml(path: str | Path) -> tuple[Any, dict[PathT, Pos]]:
    """Read one YAML file safely; returns (data, positions by id path)."""
    file = str(path)
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file) from None
    if p.is_dir():
        raise ScenarioError("this is a folder, not a YAML file", file)
    if size > MAX_BYTES:
        raise ScenarioError(f"the file is {size / 1e6:.0f} MB, more than the "
                            f"{MAX_BYTES // 2**20} MiB a scenario may have", file)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("the file is not UTF-8 text (is it a YAML file?)", file) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file) from None
    return parse_yaml(text, file)


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, dict[PathT, Pos]]:
    """Parse YAML text safely; returns (data, positions by id path)."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        from .errors import explain_yaml

        raise ScenarioError([Issue(file, line, col, "", explain_yaml(problem))], file) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"not valid YAML: {_first_line(exc)}", file) from None
    if not nodes or nodes[0] is None:
        raise ScenarioError("the file is empty: a scenario needs at least `products`", file)
    if len(nodes) > 1:
        raise ScenarioError([Issue(file, nodes[1].start_mark.line + 1, 1, "",
                                   "the file holds several YAML documents (---); keep one")], file)
    reader = _Reader(file)
    _check_expansion(nodes[0], file)
    data = reader.convert(nodes[0], (), frozenset())
    return data, reader.positions


class _Dumper(yaml.SafeDumper):
    pass


def _str_repr(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_repr)


def dump_yaml(data: Any) -> str:
    """YAML text of plain data (keys in the model's order)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
