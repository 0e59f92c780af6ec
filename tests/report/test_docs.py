"""The Python snippet of docs/report.md runs as a user would run it: saved as a script."""

from __future__ import annotations

import re
import subprocess
import sys

from .conftest import ROOT


def test_docs_snippet_runs_as_a_script(tmp_path):
    text = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/report.md has a Python example"
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    script = tmp_path / "example.py"
    script.write_text("\n".join(blocks))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (tmp_path / "out" / "demo" / "report.html").read_text(encoding="utf-8")
    assert '<section id="network"' in html and "kB" in proc.stdout
