"""The optimiser's output scenario: a small file that ``extends:`` the input and sets only the
chosen policy numbers, so a diff shows the decisions and the input keeps its comments."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from supplylab.optimize.inventory.site_policies import SitePolicy


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 6)


def policies_data(base: str | Path, output: str | Path, policies: Iterable[SitePolicy],
                  review: dict[tuple[str, str], float] | None = None) -> dict[str, Any]:
    """``{extends: <input relative to the output>, facilities: [{id, inventory: {...}}]}``."""
    rel = os.path.relpath(Path(base).resolve(), Path(output).resolve().parent)
    sites: dict[str, dict[str, Any]] = {}
    for p in policies:
        entry: dict[str, Any] = {"policy": p.policy}
        if p.policy == "RS":
            entry["R"] = _num(p.review_days)
        entry.update({k: _num(v) for k, v in p.params.items()})
        sites.setdefault(p.site, {})[p.product] = entry
    return {"extends": rel,
            "facilities": [{"id": s, "inventory": inv} for s, inv in sites.items()]}


def write_scenario(base: str | Path, output: str | Path, policies: list[SitePolicy],
                   comment: list[str]) -> Path:
    """Write the extending scenario atomically and check that it loads (validates)."""
    from supplylab.io import write_text_atomic
    from supplylab.scenario import load
    from supplylab.scenario.yaml_io import dump_yaml

    out = Path(output)
    data = policies_data(base, out, policies)
    head = "".join(f"# {line}\n" for line in comment)
    write_text_atomic(out, head + dump_yaml(data))
    load(out)
    return out
