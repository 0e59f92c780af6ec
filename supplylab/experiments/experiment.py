"""Experiment files (``experiments/*.yaml``): parse -> check -> build the points -> validate
every point against the scenario, reporting all problems at once as
``FILE:LINE:COL: dotted.path: message`` (positions from the YAML node marks).

Format (docs/experiments.md has the full reference)::

    name: holding-rate sweep
    scenario: ../scenarios/regional_3pl.yaml     # relative to this file
    design: grid                                 # grid | list | lhs
    samples: 20                                  # lhs only
    parameters:
      facilities.DC-SH.inventory.default.s: [50, 100, 150]
      costs.holding_rate_per_year: {low: 0.1, high: 0.4}
    replications: 5
    seed: 7
    kpis: [fill_rate, otif_rate, total_cost]     # default: all
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from supplylab.errors import ExperimentError, InputError, Issue
from supplylab.scenario import limits
from supplylab.sim.result import KPI_NAMES

from ._types import sim_setting
from .design import Bounds, Spec, as_spec, build_points, check_design

FIELDS = ("name", "description", "scenario", "design", "samples", "parameters", "replications",
          "seed", "days", "kpis")
REQUIRED = ("name", "scenario", "parameters")
#: ``kpis:`` must name some of the engine's KPIs.
KNOWN_KPIS = frozenset(KPI_NAMES)
MAX_POINT_ISSUES = 20

Path_ = tuple[Any, ...]


@dataclass
class Experiment:
    """A validated experiment: a base scenario, its design points and run settings."""

    name: str
    scenario: Any
    parameters: dict[str, Spec]
    design: str = "grid"
    samples: int | None = None
    replications: int = 1
    seed: int = 0
    kpis: list[str] | None = None
    days: float | None = None
    description: str = ""
    file: Path | None = None
    points: list[dict[str, Any]] = field(default_factory=list)

    @property
    def content_sha256(self) -> str:
        """Identity of what the runs compute (points, seed, horizon, KPIs), for the store.

        The replication count is left out on purpose: raising it extends the same experiment.
        """
        blob = json.dumps({"points": self.points, "seed": self.seed, "days": self.days,
                           "kpis": sorted(self.kpis) if self.kpis else None},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


class _Located:
    """Positions of every key and value of a YAML document, by path tuple."""

    def __init__(self, file: str, root: yaml.Node | None) -> None:
        self.file = file
        self.keys: dict[Path_, yaml.Mark] = {}
        self.values: dict[Path_, yaml.Mark] = {}
        self.duplicates: list[Issue] = []
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: Path_) -> None:
        self.values[path] = node.start_mark
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                sub = (*path, key_node.value)
                if sub in self.keys:
                    self.duplicates.append(self.issue(sub, "duplicate key", key_node.start_mark))
                self.keys[sub] = key_node.start_mark
                self._walk(value_node, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, i))

    def issue(self, path: Path_, message: str, mark: yaml.Mark | None = None,
              at_value: bool = False) -> Issue:
        """An issue at ``path`` (its key, or its value if ``at_value``; else the nearest parent)."""
        if mark is None:
            p = path
            while mark is None:
                table = (self.values, self.keys) if at_value else (self.keys, self.values)
                mark = table[0].get(p) or table[1].get(p)
                if not p:
                    break
                p = p[:-1]
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        return Issue(self.file, line, col, ".".join(str(x) for x in path), message)


#: Largest experiment file read (they are short: a path, a few parameters and settings).
MAX_EXPERIMENT_BYTES = 1024 * 1024


def _read(path: Path) -> tuple[Any, _Located]:
    """The data and key positions of an experiment file, through the scenario reader's guards
    (size, binary, UTF-8, nesting, alias bombs, tags, duplicate keys)."""
    from supplylab.scenario import yaml_io

    text = yaml_io.read_text(path, what="an experiment file", error=ExperimentError,
                             max_bytes=MAX_EXPERIMENT_BYTES)
    root = yaml_io.compose(text, str(path), what="an experiment needs name, scenario and "
                           "parameters", error=ExperimentError)
    data, _ = yaml_io.construct(root, str(path), ExperimentError)
    return data, _Located(str(path), root)


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_fields(data: Mapping[str, Any], loc: _Located) -> list[Issue]:
    issues: list[Issue] = []
    for key in data:
        if key not in FIELDS:
            near = difflib.get_close_matches(str(key), FIELDS, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else f"; expected one of {', '.join(FIELDS)}"
            issues.append(loc.issue((key,), f"unknown key '{key}'{hint}"))
    top = loc.issue((), "")
    for key in REQUIRED:
        if key not in data:
            issues.append(Issue(loc.file, top.line, top.col, key, "missing required key"))
    if "name" in data and not (isinstance(data["name"], str) and data["name"].strip()):
        issues.append(loc.issue(("name",), "name must be a non-empty string", at_value=True))
    if "scenario" in data and not isinstance(data["scenario"], str):
        issues.append(loc.issue(("scenario",), "scenario must be a file path", at_value=True))
    for key in ("replications",):
        if key in data and not (_int(data[key]) and data[key] >= 1):
            issues.append(loc.issue((key,), f"{key} must be a positive integer, got "
                                            f"{data[key]!r}", at_value=True))
    if "seed" in data and not (_int(data["seed"]) and data["seed"] >= 0):
        issues.append(loc.issue(("seed",), f"seed must be a non-negative integer, got "
                                           f"{data['seed']!r}", at_value=True))
    if "days" in data and (problem := limits.days_problem(data["days"])):
        issues.append(loc.issue(("days",), problem, at_value=True))
    issues += _check_kpis(data.get("kpis"), loc)
    return issues


def _check_kpis(kpis: Any, loc: _Located) -> list[Issue]:
    if kpis is None:
        return []
    if not isinstance(kpis, list) or not kpis:
        return [loc.issue(("kpis",), "kpis must be a non-empty list of KPI names", at_value=True)]
    issues = []
    for i, k in enumerate(kpis):
        if not isinstance(k, str):
            issues.append(loc.issue(("kpis", i), f"a KPI name is text, got {type(k).__name__}",
                                    at_value=True))
        elif k not in KNOWN_KPIS:
            near = difflib.get_close_matches(str(k), sorted(KNOWN_KPIS), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            issues.append(loc.issue(("kpis", i), f"unknown KPI '{k}'{hint}", at_value=True))
    return issues


def check_precision(targets: Mapping[str, Any], where: str = "precision") -> dict[str, float]:
    """Precision targets ``{kpi: 95% half-width}`` checked before any run: every KPI known
    (with a 'did you mean'), every half-width a finite number above 0. Raises InputError."""
    problems: list[str] = []
    out: dict[str, float] = {}
    for kpi, hw in targets.items():
        if kpi not in KNOWN_KPIS:
            near = difflib.get_close_matches(str(kpi), sorted(KNOWN_KPIS), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            problems.append(f"unknown KPI '{kpi}'{hint}")
        elif isinstance(hw, bool) or not isinstance(hw, int | float) or not math.isfinite(hw) \
                or hw <= 0:
            problems.append(f"{kpi}: the half-width must be a finite number above 0, got {hw!r}")
        else:
            out[str(kpi)] = float(hw)
    if problems:
        raise ExperimentError([Issue(where, 0, 0, "", p) for p in problems], where)
    return out


def parse_precision(texts: Sequence[str] | None) -> dict[str, float]:
    """``--precision KPI=HALF_WIDTH`` options as checked targets (see :func:`check_precision`)."""
    raw: dict[str, Any] = {}
    for text in texts or []:
        kpi, sep, hw = text.partition("=")
        try:
            raw[kpi.strip()] = float(hw)
        except ValueError:
            raw[kpi.strip()] = hw
        if not sep or not kpi.strip():
            raise ExperimentError(f"--precision needs KPI=HALF_WIDTH, got {text!r}", "--precision")
    return check_precision(raw, "--precision")


def _parameters(raw: Any, loc: _Located) -> tuple[dict[str, Spec], list[Issue]]:
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [loc.issue(("parameters",), "parameters must map dotted paths to value "
                                               "lists or {low, high} bounds", at_value=True)]
    out: dict[str, Spec] = {}
    issues = []
    for path, value in raw.items():
        if isinstance(value, Mapping):
            extra = sorted(set(value) - {"low", "high"})
            missing = [k for k in ("low", "high") if k not in value]
            if extra or missing:
                what = (f"unknown key '{extra[0]}'" if extra else f"missing '{missing[0]}'")
                issues.append(loc.issue(("parameters", path, extra[0]) if extra else
                                        ("parameters", path),
                                        f"{what}: bounds are {{low, high}}"))
                continue
        out[str(path)] = as_spec(value)
    return out, issues


def _sample_value(spec: Spec) -> Any:
    """A value to try a parameter path with: the first of a list, or the lower bound."""
    if isinstance(spec, Bounds):
        return spec.low
    return spec[0] if len(spec) else None


def validate_paths(scenario: Any, parameters: Mapping[str, Spec],
                   issue: Callable[[Path_, str], Issue]) -> list[Issue]:
    """Try each parameter path alone (with a sample value), so an unknown path is reported
    once, at its own key, even while other parts of the file still have problems."""
    issues: list[Issue] = []
    for path, spec in parameters.items():
        if not isinstance(spec, Bounds) and not len(spec):
            continue
        try:
            scenario.with_overrides({path: _sample_value(spec)})
        except InputError as exc:
            for msg in dict.fromkeys(i.message for i in exc.issues):
                issues.append(issue(("parameters", path), msg))
    return issues


def validate_points(scenario: Any, parameters: Sequence[str], points: Sequence[Mapping[str, Any]],
                    issue: Callable[[Path_, str], Issue]) -> list[Issue]:
    """Build every point's scenario with ``with_overrides`` before anything runs.

    Reports at most ``MAX_POINT_ISSUES`` failing points, each with its values.
    """
    issues: list[Issue] = []
    failing = 0
    for n, point in enumerate(points):
        try:
            scenario.with_overrides(dict(point))
        except InputError as exc:
            failing += 1
            if failing <= MAX_POINT_ISSUES:
                values = ", ".join(f"{k}={v!r}" for k, v in point.items())
                for i in exc.issues:
                    if i.path in point:
                        issues.append(issue(("parameters", i.path),
                                            f"point {n} ({values}): {i.message}"))
                    else:
                        issues.append(issue(("parameters",), f"point {n} ({values}): "
                                                             f"{i.path}: {i.message}"))
    if failing > MAX_POINT_ISSUES:
        issues.append(issue(("parameters",), f"... and {failing - MAX_POINT_ISSUES} more "
                                             "invalid points"))
    return issues


def design_size(design: str, parameters: Mapping[str, Spec], samples: int | None) -> int:
    """How many points a (checked) design has, computed without building them."""
    if design == "lhs":
        return int(samples or 0)
    lengths = [len(spec) for spec in parameters.values() if not isinstance(spec, Bounds)]
    if design == "list":
        return lengths[0] if lengths else 0
    return math.prod(lengths)


def _size_problem(design: str, parameters: Mapping[str, Spec], samples: int | None,
                  replications: Any) -> str | None:
    reps = replications if _int(replications) and replications > 0 else 1
    return limits.design_size_problem(design_size(design, parameters, samples), reps)


def _run_problems(scenario: Any, days: Any) -> list[str]:
    """Why the experiment's horizon cannot be run on ``scenario`` (warm-up, work), if at all."""
    if days is None or limits.days_problem(days) is not None:
        return []  # no override, or already reported
    problem = limits.days_problem(days, sim_setting(scenario, "warmup_days"))
    if problem is None and hasattr(scenario, "customer_groups"):
        problem = limits.tractability_problem(scenario, days)
    return [problem] if problem else []


def _default_loader(path: Path) -> Any:
    from supplylab.scenario import load

    return load(path)


def load_experiment(path: str | Path,
                    load_scenario: Callable[[Path], Any] | None = None) -> Experiment:
    """Read, check and build an experiment file; every point is validated against the scenario.

    ``load_scenario`` defaults to ``supplylab.scenario.load`` (errors in the scenario file
    itself propagate as that file's ``ScenarioError``). Raises ``ExperimentError`` listing
    every problem found in the experiment file.
    """
    file = Path(path)
    data, loc = _read(file)
    if not isinstance(data, Mapping):
        raise ExperimentError([loc.issue((), "an experiment file is a mapping of keys "
                                             f"({', '.join(REQUIRED)}, ...)")])
    issues = list(loc.duplicates) + _check_fields(data, loc)
    params, p_issues = _parameters(data.get("parameters"), loc)
    issues += p_issues
    design = data.get("design", "grid")
    samples = data.get("samples")
    if "parameters" in data:
        design_issues = check_design(str(design), params, samples)
        for where, msg in design_issues:
            issues.append(loc.issue(where, msg, at_value=where[-1] in ("low", "high")))
        if not design_issues and (problem := _size_problem(design, params, samples,
                                                           data.get("replications"))):
            issues.append(loc.issue(("parameters",), problem))
    scenario = None
    scen_path = file.parent / str(data.get("scenario", ""))
    if isinstance(data.get("scenario"), str):
        if not scen_path.is_file():
            issues.append(loc.issue(("scenario",), f"scenario file not found: {scen_path}",
                                    at_value=True))
        else:
            scenario = (load_scenario or _default_loader)(scen_path)
            issues += [loc.issue(("days",), m, at_value=True)
                       for m in _run_problems(scenario, data.get("days"))]
            issues += validate_paths(scenario, params, loc.issue)
    if issues or scenario is None:
        raise ExperimentError(sorted(issues, key=lambda i: (i.line, i.col)) or
                              [loc.issue((), "invalid experiment")])
    seed = int(data.get("seed", sim_setting(scenario, "seed", 0)))
    points = build_points(design, params, samples=samples, seed=seed)
    issues = validate_points(scenario, list(params), points, loc.issue)
    if issues:
        raise ExperimentError(issues)
    return Experiment(
        name=data["name"].strip(), scenario=scenario, parameters=params, design=design,
        samples=samples, replications=int(data.get("replications",
                                                   sim_setting(scenario, "replications", 1))),
        seed=seed, kpis=list(data["kpis"]) if data.get("kpis") else None, days=data.get("days"),
        description=str(data.get("description", "")), file=file, points=points)


def experiment_from_api(scenario: Any, parameters: Mapping[str, Any], *, design: str = "grid",
                        samples: int | None = None, replications: int | None = None,
                        seed: int | None = None, kpis: Sequence[str] | None = None,
                        days: float | None = None, name: str | None = None) -> Experiment:
    """The same checks as :func:`load_experiment` for a sweep defined in Python."""
    loc = _Located("<sweep>", None)
    params = {str(p): as_spec(v) for p, v in (parameters or {}).items()}
    issues = [loc.issue(w, m) for w, m in check_design(design, params, samples)]
    n = replications if replications is not None else sim_setting(scenario, "replications", 1)
    if not (_int(n) and n >= 1):
        issues.append(loc.issue(("replications",), f"must be a positive integer, got {n!r}"))
    if days is not None and (problem := limits.days_problem(days)):
        issues.append(loc.issue(("days",), problem))
    issues += [loc.issue(("days",), m) for m in _run_problems(scenario, days)]
    if not issues and (problem := _size_problem(design, params, samples, n)):
        issues.append(loc.issue(("parameters",), problem))
    issues += _check_kpis(list(kpis) if kpis is not None else None, loc)
    issues += validate_paths(scenario, params, loc.issue)
    if issues:
        raise ExperimentError(issues)
    s = int(seed if seed is not None else sim_setting(scenario, "seed", 0))
    points = build_points(design, params, samples=samples, seed=s)
    issues = validate_points(scenario, list(params), points, loc.issue)
    if issues:
        raise ExperimentError(issues)
    return Experiment(name=name or f"sweep of {getattr(scenario, 'name', 'scenario')}",
                      scenario=scenario, parameters=params, design=design, samples=samples,
                      replications=int(n), seed=s, kpis=list(kpis) if kpis else None, days=days,
                      points=points)


__all__ = ["Bounds", "Experiment", "KNOWN_KPIS", "check_precision", "experiment_from_api",
           "load_experiment", "parse_precision", "validate_paths", "validate_points"]
