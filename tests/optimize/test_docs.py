"""The Python snippets of docs/network_design.md run as a user would run them (saved scripts,
from the repository root)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "network_design.md")
                      .read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("k", range(len(SNIPPETS)))
def test_snippet_runs(k: int, tmp_path: Path, facility_dir: Path) -> None:
    script = tmp_path / f"snippet{k}.py"
    script.write_text(SNIPPETS[k], encoding="utf-8")
    res = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    if "replenish=replenish" in SNIPPETS[k]:  # the two-echelon one prints what its comment says
        assert res.stdout.startswith("2250.0 ") and "'W1': 'DC-B', 'W2': 'DC-B'" in res.stdout
