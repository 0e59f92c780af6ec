"""The Python snippets of the README and of each page in docs/ run as a user would run them:
a page's snippets, in order, saved as one script and started with ``python script.py`` from
the repository root (later snippets may use names the earlier ones defined, as a reader
following the page does). A fragment that is not meant to run is preceded by
``<!-- not a script -->``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"(<!-- not a script -->\s*)?```python\n(.*?)```", re.S)


def _pages() -> list[tuple[str, str]]:
    out = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        blocks = [m.group(2) for m in _BLOCK.finditer(doc.read_text(encoding="utf-8"))
                  if not m.group(1)]
        if blocks:
            out.append((str(doc.relative_to(ROOT)), "\n".join(blocks)))
    return out


@pytest.mark.parametrize(("page", "code"), _pages(), ids=[p for p, _ in _pages()])
def test_page_snippets_run_as_a_script(page: str, code: str, tmp_path: Path) -> None:
    if "../shared" in code and not (ROOT.parent / "shared").exists():
        pytest.skip("needs ../shared")
    script = tmp_path / "snippets.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{page} failed:\n{done.stderr[-3000:]}"
