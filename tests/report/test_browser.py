"""The quickstart report in headless Chromium with the network off: it renders (not blank,
styled, images decoded) and the console shows no errors.

Chromium is Debian's ``chromium`` package (.ci/run installs it when missing). The test skips,
saying why, only where no Chromium binary is on PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--run-all-compositor-stages-before-draw",
         "--enable-logging=stderr", "--v=0",
         # network off: no name resolves and every request would go to a closed local port
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)")


def screenshot(page: Path, out: Path, profile: Path, size: str = "1200,2400") -> list[str]:
    """Screenshot ``page``; returns the console messages Chromium logged."""
    proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}",
                           f"--window-size={size}", f"--screenshot={out}", page.as_uri()],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert out.is_file(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return [ln for ln in proc.stderr.splitlines() if re.search(r":CONSOLE[:(]", ln)]


def test_console_messages_are_detected(tmp_path):
    """The check below can fail: a page that logs an error is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom')</script>")
    console = screenshot(page, tmp_path / "bad.png", tmp_path / "profile", "400,300")
    assert any("boom" in ln for ln in console)


def test_quickstart_report_renders_in_chromium(run_report, tmp_path):
    page = run_report
    shot = tmp_path / "shot.png"
    console = screenshot(page, shot, tmp_path / "profile")
    assert console == [], console
    img = imread(shot)[..., :3]
    assert img.shape[0] >= 2000 and img.shape[1] >= 1000
    flat = img.reshape(-1, 3)
    background = np.median(flat, axis=0)
    differs = np.abs(flat - background).max(axis=1) > 0.08
    assert differs.mean() > 0.05, "screenshot is (nearly) blank"
    header = img[20, 20]
    assert header[2] > header[0] and header.max() < 0.35, "header style not applied"
    # decoded figures: some rows of the page hold many distinct colours (a plot, not text)
    rows = [len(np.unique((img[y] * 255).astype(int), axis=0)) for y in range(0, 2400, 40)]
    assert max(rows) > 20
