"""Numbers in terminal tables: the suffix follows the rounded value; no negative zero."""

import pytest

from supplylab.experiments.tables import fmt


@pytest.mark.parametrize(("x", "decimals", "text"), [
    (999_999.6, None, "1.000M"),  # not "1,000k": rounding carries into the millions
    (9_999.6, None, "10.00k"),
    (99_999.9, None, "100.0k"),
    (999.96, None, "1,000"),
    (1_234.5678, None, "1,235"),
    (45_678.9, None, "45.68k"),
    (12.3456, None, "12.35"),
    (-0.4, 0, "0"),  # rounds to zero: no "-0"
    (-0.00001, 2, "0.00"),
    (-0.4, 2, "-0.40"),
    (-999_999.7, None, "-1.000M"),
    (0.0, None, "0"),
    (float("nan"), None, "-"),
])
def test_fmt(x: float, decimals: int | None, text: str) -> None:
    assert fmt(x, decimals) == text
