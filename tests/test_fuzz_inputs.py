"""Fuzz: hostile scenarios, experiment files and ``--set`` values always end in exit 0, 2 or 3
(never 1, never a traceback) within a bounded time.

Each example starts from a small valid scenario and breaks it the way a careless or hostile
user would: a value replaced by another type, an infinity, a huge or negative number, markup,
deep nesting, an unknown key, a key removed, bytes spliced into the text. Lean on purpose
(a few dozen examples per property) so the suite stays fast.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplylab.cli import main
from supplylab.errors import InputError
from supplylab.experiments import load_experiment

from .scenario.conftest import BASE

SECONDS = 30  # per input, on a busy 2-core machine
FUZZ = settings(max_examples=25, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, -3, 1e308, -1e308, 1e-320, 10**9, "180", "1e3", ".inf", "nan",
                     "[/]", "[link=file:///etc/passwd]x[/link]", "=1+1", "@SUM(A1)", "",
                     "../../etc/passwd", "\x00", "a" * 300, "sS", "poisson"]),
    st.text(max_size=20),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8)


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


HOSTILE = st.one_of(VALUES, st.integers(min_value=50, max_value=3000).map(_deep))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


BASE_DATA = yaml.safe_load(BASE)
BASE_PATHS = [p for p in _paths(BASE_DATA) if p]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def _delete(data: Any, path: tuple[Any, ...]) -> Any:
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return data


@st.composite
def broken_scenarios(draw: st.DrawFn) -> bytes:
    data = yaml.safe_load(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(BASE_PATHS))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        try:
            if action == "replace":
                data = _set(data, path, draw(HOSTILE))
            elif action == "delete":
                data = _delete(data, path)
            else:
                parent = path[:-1]
                node = data
                for key in parent:
                    node = node[key]
                if isinstance(node, dict):
                    node[draw(st.text(min_size=1, max_size=10))] = draw(VALUES)
        except (KeyError, IndexError, TypeError):
            pass  # the path went away with an earlier change
    try:
        text = yaml.safe_dump(data, allow_unicode=True).encode()
    except (yaml.YAMLError, RecursionError, ValueError):
        text = BASE.encode()
    if draw(st.booleans()) and draw(st.booleans()):  # sometimes splice raw bytes into the text
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(max_size=8)) + text[at:]
    return text


def _cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(args)
    elapsed = time.perf_counter() - t0
    text = err.getvalue()
    assert elapsed < SECONDS, f"{args} took {elapsed:.0f} s"
    assert rc in (0, 2, 3), f"{args}: exit {rc}\n{text}"
    assert "Traceback" not in text and "internal error" not in text, text
    return rc, text


@FUZZ
@given(broken_scenarios())
def test_fuzz_scenarios(raw: bytes) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        path = folder / "s.yaml"
        path.write_bytes(raw)
        rc, _ = _cli(["validate", str(path)])
        if rc == 0:  # a mutation that stayed valid must also run
            _cli(["run", str(path), "--days", "15", "--replications", "1", "--workers", "1",
                  "--json"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


SET_PATHS = st.one_of(
    st.sampled_from([".".join(map(str, p)) for p in BASE_PATHS]),
    st.text(max_size=30),
    st.integers(100, 2000).map(lambda n: ".".join(["costs"] * n)),
)
SET_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from([".inf", ".nan", "-3", "'180'", "true", "1e308", "[[[[[[]]]]]]",
                     "{a: *b}", "&a [*a]", "!!python/object:os.system x", "\x00"]),
    st.integers(200, 5000).map(lambda n: "[" * n + "]" * n),
)


@FUZZ
@given(SET_PATHS, SET_VALUES)
def test_fuzz_set_values(path: str, value: str) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        scenario = folder / "s.yaml"
        scenario.write_text(BASE)
        _cli(["validate", str(scenario), "--set", f"{path}={value}"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


EXPERIMENT_KEYS = st.sampled_from(["name", "scenario", "design", "samples", "parameters",
                                   "replications", "seed", "days", "kpis", "description",
                                   "nmae"])
PARAMETERS = st.dictionaries(
    st.sampled_from(["facilities.DC.inventory.default.s", "costs.holding_rate_per_year",
                     "products.P1.price", "nowhere.x", "simulation.horizon_days"]),
    st.one_of(st.lists(SCALARS, max_size=4), st.fixed_dictionaries(
        {"low": SCALARS, "high": SCALARS}), SCALARS, st.lists(st.integers(0, 9), min_size=200,
                                                              max_size=200)),
    max_size=3)


@st.composite
def experiments(draw: st.DrawFn) -> Any:
    data: dict[str, Any] = {"name": "fuzz", "scenario": "s.yaml", "parameters": draw(PARAMETERS)}
    for _ in range(draw(st.integers(0, 4))):
        key = draw(EXPERIMENT_KEYS)
        data[key] = draw(st.one_of(HOSTILE, PARAMETERS) if key == "parameters" else HOSTILE)
    return data if draw(st.integers(0, 9)) else draw(HOSTILE)


@FUZZ
@given(experiments())
def test_fuzz_experiment_files(data: Any) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        (folder / "s.yaml").write_text(BASE)
        path = folder / "exp.yaml"
        try:
            path.write_text(yaml.safe_dump(data, allow_unicode=True))
        except (yaml.YAMLError, RecursionError, ValueError):
            path.write_text("[" * 3000 + "]" * 3000)
        t0 = time.perf_counter()
        try:
            exp = load_experiment(path)
        except InputError as exc:
            assert exc.exit_code == 2 and exc.issues
        else:
            assert exp.points  # a valid one has points and would run
        assert time.perf_counter() - t0 < SECONDS
    finally:
        shutil.rmtree(folder, ignore_errors=True)
