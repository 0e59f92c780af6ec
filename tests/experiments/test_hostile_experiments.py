"""Experiment files go through the scenario reader's guards: exit 2, quickly, never a trace."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from supplylab.cli import main
from supplylab.errors import ExperimentError
from supplylab.experiments import experiment_from_api, load_experiment
from supplylab.scenario import load

DATA = Path(__file__).parent / "data"

GOOD = """\
name: hostile
scenario: small.yaml
parameters:
  facilities.W.inventory.P.s: [5, 10]
replications: 1
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(DATA / "small.yaml", tmp_path / "small.yaml")
    return tmp_path


def message(path: Path) -> str:
    with pytest.raises(ExperimentError) as exc:
        load_experiment(path)
    assert exc.value.exit_code == 2
    return "\n".join(i.message for i in exc.value.issues)


def write(folder: Path, data: str | bytes) -> Path:
    p = folder / "exp.yaml"
    if isinstance(data, bytes):
        p.write_bytes(data)
    else:
        p.write_text(data, encoding="utf-8")
    return p


def test_binary_and_non_utf8(folder: Path) -> None:
    assert "binary" in message(write(folder, b"\x00\x01\x02name: x"))
    assert "not UTF-8" in message(write(folder, "name: caf\u00e9\n".encode("latin-1")))


def test_alias_bomb_refused_quickly(folder: Path) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for k in range(1, 10):
        prev = f"*a{k - 1}"
        lines.append(f"a{k}: &a{k} [{', '.join([prev] * 10)}]")
    t0 = time.perf_counter()
    assert "alias bomb" in message(write(folder, "\n".join(lines) + "\n"))
    assert time.perf_counter() - t0 < 5


def test_huge_file_refused_without_reading_it(folder: Path) -> None:
    p = write(folder, GOOD + "#" * (2 * 2**20) + "\n")
    t0 = time.perf_counter()
    assert "more than the 1 MiB an experiment file may have" in message(p)
    assert time.perf_counter() - t0 < 1


def test_deep_nesting(folder: Path) -> None:
    assert "nested more than" in message(write(folder, GOOD + "description: " + "[" * 3000
                                               + "]" * 3000 + "\n"))


def test_days_infinite_nan_or_below_warmup(folder: Path) -> None:
    for days in (".inf", ".nan", "-1", "'30'"):
        assert "horizon" in message(write(folder, GOOD + f"days: {days}\n")), days
    # small.yaml warms up for 5 days: a 4-day horizon measures nothing
    assert "not longer than the warm-up" in message(write(folder, GOOD + "days: 4\n"))


def test_giant_grid_refused_before_building_it(folder: Path) -> None:
    values = "[" + ", ".join(str(v) for v in range(1000)) + "]"
    text = ("name: giant\nscenario: small.yaml\nparameters:\n"
            f"  facilities.W.inventory.P.s: {values}\n"
            f"  facilities.W.inventory.P.S: {values}\n"
            f"  costs.holding_rate_per_year: {values}\n")
    t0 = time.perf_counter()
    msg = message(write(folder, text))
    assert "1,000,000,000 points" in msg and "design: lhs" in msg
    assert time.perf_counter() - t0 < 10
    big_lhs = GOOD.replace("parameters:", "design: lhs\nsamples: 1000000000\nparameters:")
    big_lhs = big_lhs.replace("[5, 10]", "{low: 1, high: 9}")
    assert "1,000,000,000 points" in message(write(folder, big_lhs))


def test_nan_sweep_point_refused(folder: Path) -> None:
    msg = message(write(folder, GOOD.replace("[5, 10]", "[5, .nan]")))
    assert "point 1" in msg and ".inf and .nan are not allowed" in msg


def test_api_sweep_checks_the_same(folder: Path) -> None:
    sc = load(folder / "small.yaml")
    with pytest.raises(ExperimentError, match="horizon"):
        experiment_from_api(sc, {"costs.holding_rate_per_year": [0.1]}, days=float("inf"))
    with pytest.raises(ExperimentError, match="points"):
        experiment_from_api(sc, {"costs.holding_rate_per_year": list(range(200)),
                                 "facilities.W.inventory.P.s": list(range(200))})


def test_cli_exit_2_for_each(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for data in (b"\xff\xfe\x00", GOOD + "days: .inf\n"):
        assert main(["sweep", str(write(folder, data)), "--out", str(folder / "o")]) == 2
    assert "internal error" not in capsys.readouterr().err


@pytest.mark.parametrize("option, message", [
    ("fill_rate=-1", "finite number above 0"),
    ("fill_rate=nan", "finite number above 0"),
    ("fill_rate=inf", "finite number above 0"),
    ("fill_rate=0", "finite number above 0"),
    ("fill_rat=0.01", "did you mean 'fill_rate'"),
    ("fill_rate", "KPI=HALF_WIDTH"),
    ("fill_rate=abc", "finite number above 0"),
])
def test_precision_refused_before_running(folder: Path, option: str, message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    t0 = time.perf_counter()
    assert main(["run", str(folder / "small.yaml"), "--precision", option,
                 "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and "internal error" not in err
    assert time.perf_counter() - t0 < 20  # refused up front, not after 200 replications
