"""Dotted paths with ids: ``facilities.DC-SH.inventory.MON-15.level``.

The same paths name ``--set`` overrides on the command line, sweep parameters and the paths in
error messages. A segment addresses a mapping key, or a list item by its ``id`` (``id_prefix``
for customer groups; a number as a last resort). Keys that contain dots go in brackets:
``products.MON-15.promotion_lift[0.1]``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .errors import suggest
from .yaml_io import MAX_DEPTH, item_key, parse_value

_SEGMENT = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def split_path(path: str) -> list[str]:
    """Segments of a dotted path; raises ValueError on an empty or malformed path."""
    if not path or path.strip() != path:
        raise ValueError(f"bad path {path!r}: write it like facilities.DC-SH.inventory.default.s")
    if path.count(".") >= MAX_DEPTH:
        raise ValueError(f"bad path: more than {MAX_DEPTH} segments (the deepest path of the "
                         "language has about 8)")
    segs = []
    pos = 0
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if not m:
            raise ValueError(f"bad path {path!r} near position {pos}")
        segs.append(m.group(1) if m.group(1) is not None else m.group(2))
        pos = m.end()
        if pos < len(path) and path[pos] == ".":
            pos += 1
            if pos == len(path):
                raise ValueError(f"bad path {path!r}: it ends with a dot")
    return segs


def parse_assignment(text: str) -> tuple[str, Any]:
    """``PATH=VALUE`` from the command line; VALUE is read as YAML (350 -> int, [1,2] -> list)."""
    if "=" not in text:
        raise ValueError(f"--set needs PATH=VALUE, got {text!r}")
    path, raw = text.split("=", 1)
    return path.strip(), parse_value(raw)


def parse_assignments(texts: list[str] | tuple[str, ...] | None) -> dict[str, Any]:
    """Several ``PATH=VALUE`` texts (the ``--set`` options) as ``{path: value}``.

    Raises ``InputError`` naming the bad option.
    """
    from ..errors import InputError

    out: dict[str, Any] = {}
    for text in texts or []:
        try:
            path, value = parse_assignment(text)
        except ValueError as exc:
            raise InputError(str(exc), "--set") from None
        out[path] = value
    return out


def _match_key(node: dict[Any, Any], seg: str) -> Any:
    if seg in node:
        return seg
    for k in node:
        if str(k) == seg:
            return k
        if isinstance(k, int | float) and not isinstance(k, bool):
            try:
                if float(seg) == float(k):
                    return k
            except ValueError:
                pass
    return None


def _match_item(node: list[Any], seg: str) -> int | None:
    for i, item in enumerate(node):
        if str(item_key(item, i)) == seg:
            return i
    if seg.isdigit() and int(seg) < len(node):
        return int(seg)
    return None


#: The fields of each inventory policy kind (``policy:`` discriminator -> fields).
POLICY_FIELDS: dict[str, set[str]] = {"sS": {"s", "S"}, "rQ": {"r", "Q"},
                                      "base_stock": {"level"}, "RS": {"R", "S"}}
#: Which policy kind a field alone implies (``S`` is shared by sS and RS).
_KIND_OF_FIELD = {"s": "sS", "r": "rQ", "Q": "rQ", "level": "base_stock", "R": "RS"}


def _new_entry(default: Any, field: str) -> dict[str, Any]:
    """A new per-product inventory entry: a copy of the site's default policy when it has
    ``field``, else an empty policy of the kind ``field`` implies (``level`` -> base_stock)."""
    if isinstance(default, dict) and (field in default or field not in _KIND_OF_FIELD):
        return copy.deepcopy(default)
    if field in _KIND_OF_FIELD:
        return {"policy": _KIND_OF_FIELD[field]}
    return {}


def _check_inventory_key(data: dict[str, Any], path: str, seg: str, where: str) -> None:
    """A new key under ``inventory`` must be ``default`` or a product id (a misspelt
    ``defualt`` would otherwise start a policy for a product that does not exist)."""
    products = data.get("products")
    if not isinstance(products, list):
        return
    valid = ["default", *(str(item_key(p, i)) for i, p in enumerate(products))]
    if seg not in valid:
        raise KeyError(path, f"{seg!r} in {where} is neither 'default' nor a product id"
                             f"{suggest(seg, valid)}")


def nesting_depth(value: Any) -> int:
    """How deeply mappings and lists nest in ``value`` (0 for a plain value); iterative, so a
    value nested beyond the recursion limit is measured, not crashed on."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list | tuple):
            depth += 1
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend((v, depth) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``data`` with every ``path: value`` set; raises KeyError(path, message).

    Missing mapping keys along the way are created (the schema then judges them); a new
    per-product inventory entry starts as a copy of the site's ``default`` policy, so
    ``facilities.DC.inventory.P.level=350`` works when P had no policy of its own. A list item
    must exist, and an unknown id gets a 'did you mean'. A field the default policy lacks
    starts a policy of the kind it implies (``level`` -> base_stock, ``r``/``Q`` -> rQ, ``R``
    -> RS, ``s`` -> sS); setting ``policy`` to another kind drops the old kind's fields.
    """
    out = copy.deepcopy(data)
    for path, value in overrides.items():
        try:
            segs = split_path(path)
        except ValueError as exc:
            raise KeyError(path, str(exc)) from None
        if nesting_depth(value) > MAX_DEPTH:
            raise KeyError(path, f"the value is nested more than {MAX_DEPTH} levels deep")
        node: Any = out
        for depth, seg in enumerate(segs):
            last = depth == len(segs) - 1
            where = ".".join(segs[:depth]) or "the top level"
            if isinstance(node, list):
                idx = _match_item(node, seg)
                if idx is None:
                    ids = [str(item_key(it, i)) for i, it in enumerate(node)]
                    raise KeyError(path, f"no item {seg!r} in {where}{suggest(seg, ids)}")
                if last:
                    node[idx] = copy.deepcopy(value)
                else:
                    node = node[idx]
            elif isinstance(node, dict):
                key = _match_key(node, seg)
                if key is None:
                    if depth > 0 and segs[depth - 1] == "inventory":
                        _check_inventory_key(out, path, seg, where)
                    key = seg
                if last:
                    if key == "policy" and isinstance(value, str) and value in POLICY_FIELDS \
                            and node.get("policy") != value:
                        # switching kind: keep only the fields the new kind has
                        keep = POLICY_FIELDS[value]
                        for k in [k for k in node if k != "policy" and k not in keep]:
                            del node[k]
                    node[key] = copy.deepcopy(value)
                else:
                    if key not in node or node[key] is None:
                        in_inventory = depth > 0 and segs[depth - 1] == "inventory"
                        node[key] = _new_entry(node.get("default") if in_inventory else None,
                                               segs[depth + 1])
                    node = node[key]
            else:
                raise KeyError(path, f"{where} is a value ({node!r}), not a mapping or list")
    return out
