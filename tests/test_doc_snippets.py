"""The Python snippets of the README and of each page in docs/ run as a user would run them:
a page's snippets, in order, saved as one script and started with ``python script.py`` from
a folder laid out like the repository root (``scenarios/``, ``experiments/`` and ``../shared``
linked in, so that what the snippets write stays out of the checkout); later snippets may use
names the earlier ones defined, as a reader following the page does. A fragment that is not meant to run is preceded by
``<!-- not a script -->``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Pages whose snippets have a test of their own that also checks what they print.
OWN_TESTS = {"README.md": "tests/test_first_hour.py",
             "docs/network_design.md": "tests/optimize/test_docs.py"}
_BLOCK = re.compile(r"(<!-- (not a script|a script of its own) -->\s*)?```python\n(.*?)```",
                    re.S)


def _pages() -> list[tuple[str, str]]:
    """(test id, code): a page's blocks run in order as one script; a block marked
    ``<!-- a script of its own -->`` (e.g. one that starts worker processes, which re-import
    the script) runs alone; ``<!-- not a script -->`` marks a fragment."""
    out = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        page = str(doc.relative_to(ROOT))
        if page in OWN_TESTS:
            continue
        shared, own = [], []
        for m in _BLOCK.finditer(doc.read_text(encoding="utf-8")):
            if m.group(2) == "a script of its own":
                own.append(m.group(3))
            elif not m.group(1):
                shared.append(m.group(3))
        if shared:
            out.append((page, "\n".join(shared)))
        out.extend((f"{page}#script{k + 1}", code) for k, code in enumerate(own))
    return out


@pytest.mark.parametrize(("page", "code"), _pages(), ids=[p for p, _ in _pages()])
def test_page_snippets_run_as_a_script(page: str, code: str, tmp_path: Path) -> None:
    if "../shared" in code and not (ROOT.parent / "shared").exists():
        pytest.skip("needs ../shared")
    work = tmp_path / "work"
    work.mkdir()
    for name in ("scenarios", "experiments"):
        (work / name).symlink_to(ROOT / name, target_is_directory=True)
    if (ROOT.parent / "shared").exists():
        (tmp_path / "shared").symlink_to(ROOT.parent / "shared", target_is_directory=True)
    script = tmp_path / "snippets.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=work, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{page} failed:\n{done.stderr[-3000:]}"
