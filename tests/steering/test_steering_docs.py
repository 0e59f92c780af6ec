"""docs/steering.md's Python snippet runs as a user would run it (a saved script)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_python_snippet_runs(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "steering.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "monitor_shortage.yaml", tmp_path / "scenarios")
    (tmp_path / "steer.py").write_text(snippet, encoding="utf-8")
    proc = subprocess.run([sys.executable, "steer.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip().startswith("optimal") or "optimal" in proc.stdout
    assert (tmp_path / "monitor_steered.yaml").read_text().count("STEER-MON-17") >= 1
