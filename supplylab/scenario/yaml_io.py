"""Safe YAML reading that remembers where every value came from.

``read_yaml`` returns plain Python data plus a map from *id paths* to (file, line, col). An id
path is a tuple of keys where list items that carry an ``id`` (or ``id_prefix``) are named by
it, so positions survive ``extends:`` merges and overrides, and error messages can say
``facilities.DC-SH.inventory.MON-15.level`` instead of ``facilities[3]...``.

Guards (shared by scenario and experiment files, and ``--set`` values): files over
``MAX_BYTES``, binary or non-UTF-8 files, nesting deeper than ``MAX_DEPTH`` levels, documents
that expand (through aliases) to more than ``MAX_NODES`` nodes (YAML bombs), recursive aliases,
duplicate keys and object-building tags are clean ``InputError``s (exit 2), never a traceback.
Numbers follow YAML 1.2: ``1e3`` is a number (PyYAML's YAML 1.1 reads it as text).

Documents are composed by libyaml (PyYAML's C parser, about ten times faster) when it is
installed and the document is one that composes cleanly; any other document (a syntax error,
control characters, several documents, nesting that might be too deep) is composed again by
the pure-Python parser, so every message and position is the same with or without libyaml.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Issue, ScenarioError

MAX_BYTES = 50 * 1024 * 1024
MAX_NODES = 2_000_000
#: Deepest nesting of mappings and lists a document may have (the language needs about 8).
MAX_DEPTH = 100

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
    def __init__(self, file: str, error: type[InputError] = ScenarioError) -> None:
        self.file = file
        self.error = error
        self.positions: dict[PathT, Pos] = {}
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")

    def fail(self, node: yaml.Node | None, msg: str, path: PathT = ()) -> InputError:
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (0, 0)
        return self.error([Issue(self.file, line, col, dotted(path), msg)], self.file)

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


def _check_expansion(root: yaml.Node, file: str, error: type[InputError] = ScenarioError
                     ) -> None:
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
    raise error([Issue(file, line, col, where, f"the document expands to more than "
                       f"{MAX_NODES:,} values through its aliases (an alias bomb?); "
                       "simplify its anchors and aliases")], file)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 numbers (``1e3``) and a nesting limit.

    The composer is recursive, so a document nested thousands of levels deep would end in a
    RecursionError: it is refused at ``MAX_DEPTH`` levels instead.
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML hook
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


CLoader: type[yaml.CSafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):
    class CLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's safe loader with the resolver of :class:`SafeLoader` (see
        :func:`compose`; the nesting limit is checked on its node tree)."""


for _loader in (SafeLoader, CLoader):  # 1e3, -2.5E-4: numbers without a dot (YAML 1.2)
    if _loader is not None:
        _loader.add_implicit_resolver(
            "tag:yaml.org,2002:float",
            re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
            list("-+0123456789"))

#: What libyaml reads where the pure-Python parser refuses it or counts columns otherwise (a
#: tab between tokens; ``?`` inside a plain scalar or a ``!`` tag in a flow mapping; a
#: byte-order mark; a block scalar header followed by a comment without a space): documents
#: holding one are composed by the pure-Python parser.
PYTHON_ONLY = re.compile(r"[\t?!\ufeff]|[|>][-+0-9]*[^\s\-+0-9]")
#: Documents whose nesting bound (:func:`_nesting_bound`) is above this are not given to
#: libyaml, whose composer recurses in C without a limit.
C_NESTING_BOUND = 1000


def _nesting_bound(text: str) -> int:
    """An upper bound of how deeply ``text``'s nodes can nest: a block collection inside
    another starts further right (or, a list in a mapping, at the same column), so block
    nesting is at most twice the widest line prefix of spaces and ``-``/``?``/``:``
    indicators; each flow level opens a bracket (a flow list item can be a one-pair mapping
    without braces)."""
    prefix = max((len(line) - len(line.lstrip(" -?:")) for line in text.splitlines()),
                 default=0)
    return 2 * (prefix + 2) + 2 * text.count("[") + text.count("{")


def _too_deep(root: yaml.Node) -> bool:
    """Whether composing ``root`` would pass ``MAX_DEPTH`` (the root at depth 1, an alias
    counting where it stands), walked without recursion."""
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, int]] = [(root, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_DEPTH:
            return True
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            todo.extend((c, depth + 1) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            todo.extend((n, depth + 1) for pair in node.value for n in pair)
    return False


def _compose_fast(text: str) -> yaml.Node | None:
    """The document's node tree composed by libyaml, or None when the pure-Python parser
    must compose it (no libyaml; control characters or :data:`PYTHON_ONLY` ones; possibly
    deep; any error; not exactly one document; nested deeper than ``MAX_DEPTH``): that
    parser gives every message."""
    if CLoader is None or yaml.reader.Reader.NON_PRINTABLE.search(text) \
            or PYTHON_ONLY.search(text) or _nesting_bound(text) > C_NESTING_BOUND:
        return None
    loader = CLoader(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    if len(nodes) != 1 or nodes[0] is None or _too_deep(nodes[0]):
        return None
    return nodes[0]


def read_text(path: str | Path, *, what: str = "a scenario", max_bytes: int | None = None,
              error: type[InputError] = ScenarioError) -> str:
    """The UTF-8 text of an input file, refused cleanly when it is missing, a folder, larger
    than ``max_bytes`` (default ``MAX_BYTES``), binary or not UTF-8."""
    file = str(path)
    p = Path(path)
    limit = MAX_BYTES if max_bytes is None else max_bytes
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise error(f"cannot read the file: {exc.strerror or exc}", file) from None
    if p.is_dir():
        raise error("this is a folder, not a YAML file", file)
    if not p.is_file():
        raise error("this is not a regular file", file)
    if size > limit:
        raise error(f"the file is {size / 2**20:.1f} MiB, more than the "
                    f"{limit / 2**20:g} MiB {what} may have", file)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise error(f"cannot read the file: {exc.strerror or exc}", file) from None
    if b"\x00" in raw:
        raise error("the file is binary, not UTF-8 text (is it a YAML file?)", file)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error("the file is not UTF-8 text (is it a YAML file?)", file) from None


def compose(text: str, file: str = "<string>", *, what: str = "a scenario needs at least "
            "`products`", error: type[InputError] = ScenarioError) -> yaml.Node:
    """The node tree of one YAML document, with every guard applied (syntax, one document,
    not empty, nesting depth, alias expansion). ``what`` completes "the file is empty: ..."."""
    root = _compose_fast(text)
    if root is not None:
        _check_expansion(root, file, error)
        return root
    loader = None
    try:
        loader = SafeLoader(text)  # refuses control characters already
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
    except _TooDeep as exc:
        raise error([Issue(file, exc.mark.line + 1, exc.mark.column + 1, "",
                           f"nested more than {MAX_DEPTH} levels deep; flatten the document")],
                    file) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        from .errors import explain_yaml

        raise error([Issue(file, line, col, "", explain_yaml(problem))], file) from None
    except yaml.YAMLError as exc:
        raise error(f"not valid YAML: {_first_line(exc)}", file) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not nodes or nodes[0] is None:
        raise error(f"the file is empty: {what}", file)
    if len(nodes) > 1:
        raise error([Issue(file, nodes[1].start_mark.line + 1, 1, "",
                           "the file holds several YAML documents (---); keep one")], file)
    _check_expansion(nodes[0], file, error)
    return nodes[0]


def construct(root: yaml.Node, file: str, error: type[InputError] = ScenarioError
              ) -> tuple[Any, dict[PathT, Pos]]:
    """Plain data of a composed document (safe tags only, no duplicate keys) and positions."""
    reader = _Reader(file, error)
    data = reader.convert(root, (), frozenset())
    return data, reader.positions


def read_yaml(path: str | Path) -> tuple[Any, dict[PathT, Pos]]:
    """Read one YAML file safely; returns (data, positions by id path)."""
    return parse_yaml(read_text(path), str(path))


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, dict[PathT, Pos]]:
    """Parse YAML text safely; returns (data, positions by id path)."""
    return construct(compose(text, file), file)


def parse_value(text: str, where: str = "--set") -> Any:
    """One value written on the command line (``--set``), read as YAML with every guard
    (depth, aliases, tags); text that is not valid YAML stays text, a blank is ``""``."""
    if not text.strip():
        return ""
    try:
        root = compose(text, where, error=InputError)
    except InputError as exc:
        message = exc.issues[0].message if exc.issues else ""
        if message.startswith("the file is empty"):
            return None  # only a comment
        if message.startswith(("not valid YAML", "the file holds several")):
            return text
        raise
    return construct(root, where, InputError)[0]


#: Folders beyond the scenario's own that ``extends:`` and data files may reach (--allow-path).
ALLOWED_PATHS: list[Path] = []
#: Scenario files this process was asked to load by name (``load(path)``, a command-line
#: argument): a file written by an optimiser may extend the input it was given, wherever it is.
LOADED_FILES: set[Path] = set()


def allow_paths(paths: list[str | Path] | tuple[str | Path, ...]) -> None:
    """Let ``extends:`` and data-file paths reach these folders too (``--allow-path``)."""
    ALLOWED_PATHS[:] = [Path(p).resolve() for p in paths]


def confine(ref: str, relative_to: Path, root: Path) -> tuple[Path, str | None]:
    """Resolve the path ``ref`` written in a file of folder ``relative_to``; returns (path,
    why it is refused or None). A path must stay inside ``root`` (the top scenario's folder
    tree), the working folder's tree or an ``ALLOWED_PATHS`` folder, after following
    symbolic links: a scenario from elsewhere cannot make supplylab read ``/etc/passwd``. A
    file the user loaded by name in this process (``LOADED_FILES``) may be reached too."""
    target = (relative_to / ref).resolve()
    roots = [root.resolve(), Path.cwd().resolve(), *ALLOWED_PATHS]
    if target in LOADED_FILES or any(target.is_relative_to(r) for r in roots):
        return target, None
    return target, (f"{ref!r} is outside the scenario's folder ({root}); to allow it, run "
                    f"supplylab --allow-path {target.parent} COMMAND ...")


class _Dumper(yaml.SafeDumper):
    pass


def _str_repr(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_repr)


def dump_yaml(data: Any) -> str:
    """YAML text of plain data (keys in the model's order)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
