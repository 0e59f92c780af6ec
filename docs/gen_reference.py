"""Generate docs/reference.md from the pydantic models of the scenario language.

The models in ``supplylab/scenario/schema*.py`` (all exported by ``schema.py``) are the single source of truth: every field's
type, unit, default and meaning come from them, so the reference cannot drift from the code.
A test (tests/scenario/test_reference_docs.py) fails when the committed file is stale.

Usage::

    python docs/gen_reference.py            # rewrite docs/reference.md
    python docs/gen_reference.py --check    # exit 1 if docs/reference.md is out of date
"""

from __future__ import annotations

import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from supplylab.scenario import distributions as D
from supplylab.scenario import schema as S

OUT = Path(__file__).resolve().parent / "reference.md"

#: Units implied by a field name's suffix (checked in order).
_SUFFIX_UNITS = [
    ("_kg_per_unit_km", "kg CO2/(unit km)"), ("_per_unit_km", "currency/(unit km)"),
    ("_per_unit_day", "currency/(unit day)"), ("_units_per_day", "units/day"),
    ("_km_per_day", "km/day"), ("_per_year", "1/year"), ("_per_day", "1/day"),
    ("_per_unit", "currency/unit"), ("_per_shipment", "currency/shipment"),
    ("_per_order", "currency/order"), ("_days", "days"), ("_km", "km"), ("_kg", "kg"),
    ("_m3", "m3"), ("_units", "units"), ("_s", "seconds"),
]
_DESC_UNIT = re.compile(r",\s*([a-zA-Z0-9/ ]{1,20})\.\s*$")
_DESC_PAREN_UNIT = re.compile(r"\((1/year|units/day|km/day|days|units)\)")


#: Units of fields whose name and description do not say it plainly.
_NAMED_UNITS = {
    "lead_time": "days", "transit_time": "days", "return_delay": "days", "late_days": "days",
    "dwell_time": "days", "production_lead_time": "days", "duration": "days",
    "start_day": "day", "end_day": "day", "R": "days", "window_days": "days",
    "production_capacity_per_day": "units/day", "capacity_per_day": "units/day",
    "orders_per_day": "orders/day", "forecast_updates_per_day": "1/day",
    "demand": "units/day", "quantity": "units", "lines_per_order": "lines",
    "min_order_qty": "units", "s": "units", "S": "units", "r": "units", "Q": "units",
    "level": "units", "initial": "units", "lat": "degrees", "lon": "degrees",
    "bbox": "degrees", "radius_km": "km", "discount": "share of price",
    "co2_price_per_kg": "currency/kg", "time_limit_s": "seconds",
    "capacity_penalty_per_unit": "currency/unit", "service_penalty_per_unit": "currency/unit",
    "stockout_penalty_per_unit": "currency/unit", "ordering_cost_per_order": "currency/order",
    "holding_rate_per_year": "1/year", "discount_rate_per_year": "1/year",
    "base_rate_per_year": "1/year",
}


def unit_of(name: str, description: str) -> str:
    """The unit of a field: named above, from its description (``..., days.``) or its
    name's suffix."""
    if name in _NAMED_UNITS:
        return _NAMED_UNITS[name]
    m = _DESC_UNIT.search(description)
    if m and m.group(1).strip().lower() in {"days", "units", "km", "kg", "km/day", "units/day",
                                             "m3", "degrees", "orders/day", "days per order"}:
        return m.group(1).strip()
    m = _DESC_PAREN_UNIT.search(description)
    if m:
        return m.group(1)
    if name in {"cost_per_unit", "fixed_cost_per_year", "price", "unit_cost"}:
        return {"fixed_cost_per_year": "currency/year"}.get(name, "currency/unit")
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return ""


def type_str(tp: Any) -> str:
    """A short, readable rendering of a field annotation."""
    if tp is D.Dist or _is_dist(tp):
        return "dist"
    if tp is S.DistOrPerProduct:
        return "dist \\| {product: dist}"
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is typing.Annotated:
        return type_str(args[0])
    if origin in (typing.Union, types.UnionType):
        if D.Constant in args:
            return "dist"
        plain = [a for a in args if a is not type(None)]
        if len(plain) == 2 and all(get_origin(a) is typing.Annotated for a in plain):
            return "dist \\| {product: dist}"  # DistOrPerProduct (tagged union)
        parts = [type_str(a) for a in args if a is not type(None)]
        text = " \\| ".join(dict.fromkeys(parts))
        return text + (" \\| null" if type(None) in args else "")
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list[{type_str(args[0])}]"
    if origin is dict:
        return f"{{{type_str(args[0])}: {type_str(args[1])}}}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    if tp is float:
        return "number"
    if tp is int:
        return "integer"
    if tp is str:
        return "string"
    if tp is bool:
        return "boolean"
    return getattr(tp, "__name__", str(tp))


def _is_dist(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is typing.Annotated and args and get_origin(args[0]) in (
        typing.Union, types.UnionType) and D.Constant in get_args(args[0])


def _constraints(f: FieldInfo) -> str:
    out = []
    for m in f.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            v = getattr(m, attr, None)
            if v is not None:
                out.append(f"{sym} {v:g}" if isinstance(v, int | float) else f"{sym} {v}")
    return ", ".join(out)


def default_str(f: FieldInfo) -> str:
    if f.is_required():
        return "**required**"
    if f.default_factory is not None:
        try:
            value = f.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return "(see type)"
        if isinstance(value, BaseModel):
            return "(all defaults)"
        return f"`{_plain(value)}`"
    if f.default is PydanticUndefined:
        return ""
    return f"`{_plain(f.default)}`"


def _plain(value: Any) -> str:
    if isinstance(value, BaseModel):
        return str(value.model_dump(mode="json", by_alias=True))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, D.Constant):
        return f"{value.value:g}"
    return str(value)


def _describe(f: FieldInfo, tp: Any) -> str:
    text = (f.description or "").strip()
    if not text and isinstance(tp, type) and issubclass(tp, BaseModel):
        doc = (tp.__doc__ or "").strip().splitlines()
        text = doc[0] if doc else ""
    lim = _constraints(f)
    if lim:
        text = f"{text} ({lim})" if text else f"({lim})"
    return text.replace("|", "\\|").replace("\n", " ")


def _nested(tp: Any) -> list[type[BaseModel]]:
    """Scenario models referenced by an annotation (not distribution laws)."""
    out: list[type[BaseModel]] = []
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if not issubclass(tp, D._Law):
            out.append(tp)
        return out
    for a in get_args(tp):
        out += _nested(a)
    return out


def model_table(model: type[BaseModel]) -> list[str]:
    doc = (model.__doc__ or "").strip()
    lines = [f"### {model.__name__}", ""]
    if doc:
        lines += [" ".join(doc.split()), ""]
    lines += ["| field | type | unit | default | meaning |", "|---|---|---|---|---|"]
    for name, f in model.model_fields.items():
        key = f.alias or name
        tp = f.annotation
        desc = _describe(f, tp)
        lines.append(f"| `{key}` | {type_str(tp)} | {unit_of(key, f.description or '')} "
                     f"| {default_str(f)} | {desc} |")
    if model is S.Inventory:
        lines.append("| *product id* | [SS](#ss) \\| [RQ](#rq) \\| [BaseStock](#basestock) "
                     "\\| [RS](#rs) | | | The policy of that product at this site. |")
    return lines + [""]


def all_models() -> list[type[BaseModel]]:
    """Every model reachable from the top level, breadth first, in field order."""
    seen: list[type[BaseModel]] = []
    queue: list[type[BaseModel]] = [S.ScenarioModel]
    while queue:
        m = queue.pop(0)
        if m in seen:
            continue
        seen.append(m)
        for f in m.model_fields.values():
            queue += [n for n in _nested(f.annotation) if n not in seen]
        if m is S.Inventory:
            queue += [S.SS, S.RQ, S.BaseStock, S.RS]
    return seen


def law_table() -> list[str]:
    lines = ["| `dist` | parameters | mean | notes |", "|---|---|---|---|"]
    for name, law in D.LAWS.items():
        params = []
        for pname, f in law.model_fields.items():
            if pname == "dist":
                continue
            key = f.alias or pname
            lim = _constraints(f)
            params.append(f"`{key}`" + (f" ({lim})" if lim else ""))
        mean = {"constant": "value", "poisson": "mean", "normal": "mean", "lognormal": "mean",
                "gamma": "mean", "negbin": "mean", "uniform": "(low + high) / 2",
                "triangular": "(low + mode + high) / 3", "exponential": "mean",
                "empirical": "weighted mean of values"}[name]
        doc = " ".join((law.__doc__ or "").split())
        lines.append(f"| `{name}` | {', '.join(params)} | {mean} | {doc} |")
    return lines + [""]


SECTION_OF = {
    "ScenarioModel": "Top level", "Simulation": "simulation", "Costs": "costs",
    "TransportDefaults": "transport_defaults", "Allocation": "allocation", "Tier": "tiers.NAME",
    "Product": "products[]", "Supplier": "suppliers[]", "Facility": "facilities[]",
    "Customer": "customers[]", "CustomerGroup": "customer_groups[]", "Lane": "lanes[]",
    "Promotion": "promotions[]", "Disruption": "disruptions[]",
    "InformationSharing": "information_sharing", "NetworkDesign": "network_design",
}


def ranges() -> list[str]:
    """The ranges every number obeys, from supplylab/scenario/limits.py."""
    from supplylab.scenario import limits as L

    return [
        "## Ranges",
        "",
        "Every number is written as a number (`'180'` or `true` is not a price) and is finite "
        "(`.inf` and `.nan` are refused). Beyond each field's own bounds (in its row below):",
        "",
        f"- every number is at most {L.MAX_MAGNITUDE:g} in size;",
        f"- `simulation.horizon_days` (and `--days`, an experiment's `days`) is at most "
        f"{L.MAX_HORIZON_DAYS:,.0f} days and longer than the warm-up;",
        f"- one replication simulates at most {L.MAX_ORDERS_PER_REPLICATION:,} orders "
        "(expected orders per day of all customers x horizon); a larger run is refused with "
        "its estimate;",
        "- a random quantity (`dist`) never takes negative values;",
        f"- a document nests at most {_max_depth()} levels of mappings and lists.",
        "",
        "Why and how these are enforced: [robustness.md](robustness.md).",
        "",
    ]


def _max_depth() -> int:
    from supplylab.scenario.yaml_io import MAX_DEPTH

    return MAX_DEPTH


def render() -> str:
    """The whole reference page as Markdown."""
    out = [
        "# Scenario language reference",
        "",
        "<!-- GENERATED by docs/gen_reference.py from supplylab/scenario/schema*.py: do not edit "
        "by hand; run `python docs/gen_reference.py` after changing the models. -->",
        "",
        "Every field of the scenario language with its type, unit, default and meaning. Time is "
        "in days, money in the scenario's `currency`. `dist` means a random quantity: a plain "
        "number (a constant) or a mapping such as `{dist: poisson, mean: 3}` "
        "(see [Distributions](#distributions)). Unknown keys are errors. A `null` default means "
        "the field is optional and its absence has the meaning given. How-to and examples: "
        "[scenario_language.md](scenario_language.md).",
        "",
        *ranges(),
        "## Sections",
        "",
    ]
    models = all_models()
    for m in models:
        where = SECTION_OF.get(m.__name__)
        label = f" (`{where}`)" if where and where != "Top level" else ""
        out.append(f"- [{m.__name__}](#{m.__name__.lower()}){label}")
    out += ["- [Distributions](#distributions)", "", "## Models", ""]
    for m in models:
        out += model_table(m)
    out += ["## Distributions", "",
            "Wherever a field's type is `dist`, write a number (a constant) or one of these "
            "mappings. Parameters are in the unit of the field (days for times, units for "
            "quantities); quantities and times are truncated at 0 when sampled.", ""]
    out += law_table()
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run python docs/gen_reference.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
