"""The Python snippets of docs/inventory.md run as a user would run them: saved scripts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "inventory.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_doc_has_snippets() -> None:
    assert len(SNIPPETS) >= 2


@pytest.mark.parametrize("k", range(len(SNIPPETS)))
def test_snippet_runs_as_a_script(tmp_path: Path, k: int) -> None:
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    script = tmp_path / f"snippet_{k}.py"
    script.write_text(SNIPPETS[k], encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
