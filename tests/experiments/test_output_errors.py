"""Output problems are input errors: exit 2 with the path and the reason, nothing half-written."""

from __future__ import annotations

import csv
import errno
import os
from pathlib import Path

import pytest

from supplylab import io
from supplylab.cli import main

DATA = Path(__file__).parent / "data"
SMALL = str(DATA / "small.yaml")
as_root = hasattr(os, "geteuid") and os.geteuid() == 0


def _run(*args: str) -> list[str]:
    return ["run", SMALL, "--replications", "1", "--workers", "1", "--days", "20", *args]


def test_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "results.txt"
    target.write_text("keep me")
    assert main(_run("--out", str(target))) == 2
    err = capsys.readouterr().err
    assert str(target) in err and "is a file" in err and "internal error" not in err
    assert target.read_text() == "keep me"
    assert main(_run("--out", str(target / "sub"))) == 2  # under a file


@pytest.mark.skipif(as_root, reason="root writes into read-only folders")
def test_out_read_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert main(_run("--out", str(ro / "out"))) == 2
        assert "not writable" in capsys.readouterr().err
    finally:
        ro.chmod(0o700)


def test_read_only_detected_without_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: not mode & os.W_OK and real(p, mode))
    assert main(_run("--out", str(tmp_path / "out"))) == 2
    assert "not writable" in capsys.readouterr().err


def test_read_only_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    def erofs(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "out"))

    monkeypatch.setattr(io.tempfile, "mkstemp", erofs)
    assert main(_run("--out", str(tmp_path / "out"))) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "read-only" in err


def test_full_disk_leaves_no_temporaries_and_marks_the_folder(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    def full(handle, **kw):  # every CSV file (the run's and pandas') is written through it
        handle.write("replication,dim")  # half a file, then the disk fills up
        raise OSError(errno.ENOSPC, "No space left on device", handle.name)

    monkeypatch.setattr(csv, "writer", full)
    out = tmp_path / "out"
    assert main(_run("--out", str(out))) == 2
    err = capsys.readouterr().err
    assert "the disk is full" in err and str(out) in err
    assert [p.name for p in out.iterdir() if p.name.endswith("tmp")] == []
    assert (out / io.INCOMPLETE).is_file()  # results.json alone is not mistaken for complete
    assert "failed" in (out / io.INCOMPLETE).read_text()


def test_events_into_an_existing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    before = set(Path("/").iterdir())
    assert main(_run("--events", str(folder))) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err and "events.csv" in err
    assert set(Path("/").iterdir()) == before and list(folder.iterdir()) == []
    assert main(_run("--events", str(folder / "events.csv"))) == 0
    assert (folder / "events.csv").is_file()
    assert [p.name for p in folder.iterdir()] == ["events.csv"]


def test_events_write_failure_removes_the_temporary(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import supplylab.sim.eventlog as eventlog

    def broken(scenario, seed, replication, path, days=None):
        tmp = Path(path).with_name(f".{Path(path).name}.tmp")
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    monkeypatch.setattr(eventlog, "write_event_log", broken)
    assert main(_run("--events", str(tmp_path / "ev.csv"))) == 2
    assert "the disk is full" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_sweep_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "small.yaml").write_text((DATA / "small.yaml").read_text())
    exp = tmp_path / "exp.yaml"
    exp.write_text("name: x\nscenario: small.yaml\nparameters:\n  costs.holding_rate_per_year:"
                   " [0.1]\nreplications: 1\n")
    (tmp_path / "file").write_text("")
    assert main(["sweep", str(exp), "--out", str(tmp_path / "file"), "--workers", "1"]) == 2
    assert "is a file" in capsys.readouterr().err
