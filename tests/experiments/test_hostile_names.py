"""Names in outputs: printed literally in the terminal, inert in CSV, exact in JSON/Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplylab.cli import main
from supplylab.experiments._io import for_spreadsheets, write_csv

DATA = Path(__file__).parent / "data"
TIER = "[link=file:///etc/passwd]gold[/link]"
NAME = "[/] [bold]x"
CUSTOMER = '=HYPERLINK("http://evil")'


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    text = (DATA / "small.yaml").read_text()
    text = text.replace("name: small single site", f"name: '{NAME}'")
    text = text.replace("horizon_days: 60", "horizon_days: 20")
    text = text.replace("products:", f"tiers:\n  '{TIER}': {{priority: 1}}\nproducts:", 1)
    text = text.replace("tier: standard", f"tier: '{TIER}'")
    text = text.replace("{id: C,", f"{{id: '{CUSTOMER}',")
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    return path


def test_run_prints_names_literally_and_neutralises_csv(hostile: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    out = tmp_path / "out"
    assert main(["run", str(hostile), "--replications", "2", "--workers", "1",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert NAME in printed and TIER in printed  # markup shown as text, not obeyed
    kpis = pd.read_csv(out / "kpis.csv")
    keys = set(kpis["key"])
    assert "'" + CUSTOMER in keys and CUSTOMER not in keys
    doc = json.loads((out / "results.json").read_text())
    assert CUSTOMER in doc["by"]["customer"] and doc["scenario"] == NAME  # JSON exact


def test_compare_and_sweep_tables_with_markup_names(hostile: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "[bold]b.yaml"  # labels come from file names
    other.write_text(hostile.read_text().replace(f"name: '{NAME}'", "name: '[red]b[/red]'"))
    assert main(["compare", str(hostile), str(other), "--replications", "2",
                 "--workers", "1"]) == 0
    assert "[bold]b" in capsys.readouterr().out
    exp = tmp_path / "exp.yaml"
    exp.write_text("name: '[/]'\nscenario: hostile.yaml\nreplications: 1\nparameters:\n"
                   "  products.P.abc_class: [A, B]\n")
    assert main(["sweep", str(exp), "--out", str(tmp_path / "sw"), "--workers", "1"]) == 0


def test_formula_cells_and_headers_are_neutralised(tmp_path: Path) -> None:
    frame = pd.DataFrame({"key": ["=1+1", "+A1", "-2", "@SUM(A1)", "\tx", "plain", "a=b"],
                          "value": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]})
    safe = for_spreadsheets(frame)
    assert list(safe["key"]) == ["'=1+1", "'+A1", "'-2", "'@SUM(A1)", "'\tx", "plain", "a=b"]
    assert list(safe["value"]) == list(frame["value"])  # numbers (negative too) untouched
    assert list(frame["key"])[0] == "=1+1"  # the caller's frame is not modified
    write_csv(tmp_path / "t.csv", frame)
    back = pd.read_csv(tmp_path / "t.csv", keep_default_na=False)
    assert back["key"][0] == "'=1+1" and back["value"][0] == -1.0


_TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"'=+-@\t\r\n;é")), max_size=6)


@given(st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                          st.booleans(), _TEXT, st.one_of(st.none(), st.booleans(), _TEXT)),
                max_size=8))
def test_plain_rows_are_written_as_pandas_writes_the_table(rows) -> None:
    """The files of ``run --out`` are written from plain rows without pandas: byte for byte the
    CSV that pandas' ``to_csv`` (``write_csv``) writes for the same table -- floats at their
    shortest exact form, NaN and None empty, quoting, line ends, formula cells neutralised."""
    import tempfile

    from supplylab.experiments._io import write_rows

    columns = ["x", "n", "flag", "=name", "mixed"]
    frame = pd.DataFrame(rows, columns=columns).astype(
        {"x": "float64", "n": "int64", "flag": "bool", "mixed": "object"})
    with tempfile.TemporaryDirectory() as tmp:
        write_csv(Path(tmp) / "pandas.csv", frame)
        write_rows(Path(tmp) / "plain.csv", columns, rows)
        assert (Path(tmp) / "plain.csv").read_bytes() == (Path(tmp) / "pandas.csv").read_bytes()
