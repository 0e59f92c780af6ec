"""Turning pydantic's validation errors into issues a planner can act on.

Each issue names the file, line and column, the dotted path with ids, what is wrong and, for a
misspelt key or id, the closest valid spelling.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ..errors import Issue
from .yaml_io import PathT, Pos, dotted, item_key


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest choice, or ''."""
    options = {str(c).lower(): str(c) for c in choices if str(c) != str(word)}
    best = difflib.get_close_matches(str(word).lower(), list(options), n=1, cutoff=0.6)
    return f" (did you mean {options[best[0]]!r}?)" if best else ""


def new_ids(base: Any, child: Any, path: PathT = ()) -> list[tuple[PathT, str, list[str]]]:
    """Items an ``extends:`` variant adds under a new id: ``(id path, id, the base's ids)``.

    Walks ``base`` and ``child`` as the ``extends`` merge does (mappings key by key, lists of
    items with ids by id).
    """
    found: list[tuple[PathT, str, list[str]]] = []
    if isinstance(base, dict) and isinstance(child, dict):
        for k, v in child.items():
            if k in base:
                found += new_ids(base[k], v, (*path, k))
    elif isinstance(base, list) and isinstance(child, list):
        keys = [item_key(it, i) for i, it in enumerate(base)]
        if keys and all(isinstance(k, str) for k in keys):
            index = dict(zip(keys, base, strict=True))
            for i, it in enumerate(child):
                key = item_key(it, i)
                if not isinstance(key, str):
                    continue
                if key in index:
                    found += new_ids(index[key], it, (*path, key))
                else:
                    found.append(((*path, key), key, list(keys)))
    return found


def explain_new_ids(issues: list[Issue], added: list[tuple[PathT, str, list[str]]],
                    base_file: str) -> list[Issue]:
    """Missing-field issues inside an item added under a new id become one issue that says
    the id is new (a misspelt id?) and names the nearest existing id."""
    out = list(issues)
    for path, key, existing in added:
        where = dotted(path)
        missing = [i for i in out if (i.path == where or i.path.startswith(where + "."))
                   and i.message.startswith("required field")]
        if not missing:
            continue
        fields = ", ".join(i.path[len(where) + 1:] for i in missing if i.path != where)
        first = min(missing, key=lambda i: (i.line, i.col))
        out = [i for i in out if i not in missing]
        out.append(Issue(first.file, first.line, first.col, where,
                         f"{key!r} is a new id (not in {base_file}){suggest(key, existing)}; "
                         f"a new item needs every required field: {fields} missing"))
    return sorted(out, key=lambda i: (i.file, i.line, i.col, i.path))


_YAML_HINTS = (
    ("'\\t'", "a tab character: YAML indents with spaces only; replace the tab by spaces"),
    ("mapping values are not allowed", "a ':' where no key can start: check this line's "
     "indentation (keys of one mapping line up), or quote a value that contains ': '"),
    ("could not find expected ':'", "a line that is not 'key: value' inside a mapping: add "
     "the ':' or check the indentation"),
    ("expected <block end>", "the indentation does not match: line this entry up with the "
     "other entries of its list or mapping"),
    ("expected ',' or ']'", "a [ list ] that is not closed: add the ']'"),
    ("expected ',' or '}'", "a { mapping } that is not closed: add the '}'"),
    ("found unexpected end of stream", "a quoted text that is not closed: add the closing "
     "quote"),
    ("found undefined alias", "an alias (*name) without an anchor (&name) before it"),
    ("expected alphabetic or numeric character", "an '*' or '&' that does not start an "
     "alias or anchor: quote the value"),
)


def explain_yaml(problem: str) -> str:
    """The parser's complaint in words a planner can act on, with the parser's text."""
    for needle, hint in _YAML_HINTS:
        if needle in problem:
            return f"not valid YAML: {hint} (the parser says: {problem})"
    return f"not valid YAML: {problem}"


def position(positions: dict[PathT, Pos], path: PathT, file: str) -> tuple[str, int, int]:
    """The position of ``path`` or of its nearest ancestor that has one."""
    p = tuple(path)
    while p:
        if p in positions:
            return positions[p]
        p = p[:-1]
    return (file, 1, 1) if positions else (file, 0, 0)


def resolve_loc(data: Any, loc: tuple[Any, ...]) -> tuple[PathT, Any, bool]:
    """Map a pydantic ``loc`` onto the data: (id path, value there, whether it exists).

    Union tags that pydantic inserts into ``loc`` (e.g. ``'sS'``, ``'poisson'``) are skipped;
    a trailing element that is not in the data (a missing field) is kept in the path.
    """
    cur = data
    path: list[Any] = []
    exists = True
    for i, el in enumerate(loc):
        if isinstance(cur, dict) and isinstance(el, str) and el not in cur and \
                el in (cur.get("dist"), cur.get("policy")):
            continue  # the union tag pydantic puts before a law's or policy's own errors
        if isinstance(cur, dict) and el in cur:
            path.append(el)
            cur = cur[el]
        elif isinstance(cur, dict) and str(el) in {str(k) for k in cur}:
            key = next(k for k in cur if str(k) == str(el))
            path.append(key)
            cur = cur[key]
        elif isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur):
            path.append(item_key(cur[el], el))
            cur = cur[el]
        elif i == len(loc) - 1 and isinstance(cur, dict | list):
            path.append(el)
            exists = False
        # else: a union tag inserted by pydantic; skip it
    return tuple(path), cur, exists


#: Longest echo of an input value in a message (a value may come from a file the user did
#: not write, e.g. through ``extends:``; the message names the key, it need not quote it).
MAX_ECHO = 40


def shown(value: Any) -> str:
    """``repr(value)`` cut to ``MAX_ECHO`` characters (mappings and lists by their size)."""
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key(s)"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    text = repr(value)
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO - 3] + "..."


def _number_hint(kind: str, value: Any) -> str:
    """Why a value is not the number a field needs, and how to write it."""
    if isinstance(value, bool):
        return f" (got {value!r}: true/false is not a number)"
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return f" (got {shown(value)})"
        return f" (got the text {shown(value)}: write the number without quotes)"
    if kind == "int_type" and isinstance(value, float):
        return f" (got {value!r}: write a whole number)"
    return f" (got {shown(value)})"


def _message(err: dict[str, Any], value: Any, vocabulary: set[str]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    loc = err["loc"]
    if kind == "extra_forbidden":
        key = loc[-1]
        return f"unknown key {shown(key)}{suggest(str(key), vocabulary)}"
    if kind == "missing":
        return f"required field {loc[-1]!r} is missing"
    if kind == "union_tag_invalid":
        tags = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        disc = str(ctx.get("discriminator", "")).strip("'")
        return (f"unknown {disc} {ctx.get('tag')!r}{suggest(str(ctx.get('tag')), tags)}; "
                f"expected one of: {', '.join(tags)}")
    if kind == "union_tag_not_found":
        disc = str(ctx.get("discriminator", "")).strip("'")
        hint = ("a number or a mapping such as {dist: poisson, mean: 3}" if disc == "dist"
                else f"a mapping with a `{disc}` key")
        return f"needs a `{disc}` key: write {hint}"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        opts = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        return f"{shown(value)} is not allowed; expected {expected}{suggest(str(value), opts)}"
    if kind in ("float_type", "int_type", "float_parsing", "int_parsing", "int_from_float"):
        return msg + _number_hint(kind, value)
    if kind == "finite_number":
        return f"{msg}: .inf and .nan are not allowed (got {shown(value)})"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{msg} (got {shown(value)})"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"{msg} (got {shown(value)})"
    return msg


def translate(exc: ValidationError, data: Any, positions: dict[PathT, Pos], file: str,
              vocabulary: set[str]) -> list[Issue]:
    """Issues from a pydantic ValidationError, de-duplicated, in file order."""
    found = []
    for err in exc.errors(include_url=False):
        path, value, exists = resolve_loc(data, tuple(err["loc"]))
        if not exists and err["type"] != "missing":
            path = path[:-1]  # the label of a union branch (e.g. 'constrained-float'), no key
        found.append((path, err["type"], _message(err, value, vocabulary)))
    by_path: dict[PathT, list[str]] = {}
    for path, kind, msg in found:
        if kind.endswith("_type") and any(
                q[:len(path)] == path and (len(q) > len(path) or not k.endswith("_type"))
                for q, k, _ in found):
            continue  # this branch of a union wants another shape; a branch that took the
            # value's shape found the problem (inside it, or a bound it breaks)
        msgs = by_path.setdefault(path, [])
        if msg not in msgs:
            msgs.append(msg)
    issues = []
    for path, msgs in by_path.items():
        # several branches of a union failed on the same value: one line says what fits
        msg = msgs[0] if len(msgs) == 1 else "; or ".join(msgs)
        f, line, col = position(positions, path, file)
        issues.append(Issue(f, line, col, dotted(path), msg))
    return sorted(issues, key=lambda i: (i.file, i.line, i.col, i.path))
