"""A plain `pip install .` into a fresh venv gives a working app, styles included."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (found,) = out.glob("nspawn_tui-*.whl")
    return found


def test_wheel_contains_styles(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "nspawn_tui/styles/app.tcss" in names
    for tcss in (ROOT / "styles").glob("*.tcss"):
        assert f"nspawn_tui/styles/{tcss.name}" in names


def test_fresh_venv_runs_the_app(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin/pip"), "install", "-q", str(wheel)], check=True, timeout=600)
    exe = venv / "bin" / "nspawn-tui"
    where = subprocess.run(
        [
            str(venv / "bin/python"),
            "-c",
            "from nspawn_tui.app import styles_dir; print(styles_dir())",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        timeout=60,
    ).stdout.strip()
    assert where.startswith(str(venv)), where
    listed = subprocess.run(
        [str(exe), "--demo", "list", "--interval", "0.1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert listed.returncode == 0 and "ci-runner" in listed.stdout
    if shutil.which("tmux") is None:
        pytest.skip(
            "tmux is not installed (make test installs it as root): "
            "the interactive start was not checked"
        )
    session = f"nspawn-tui-pkg-{tmp_path.name}"
    subprocess.run(
        [
            "tmux",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "120",
            "-y",
            "40",
            f"env -u COLUMNS -u LINES {exe} --demo",
        ],
        check=True,
        cwd=tmp_path,
    )
    try:
        screen = ""
        for _ in range(100):
            time.sleep(0.1)
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if "ci-runner" in screen and "NAME" in screen:
                break
        # (COLUMNS/LINES left in pytest's environment by readline would force 80x24)
        assert "ci-runner" in screen and "demo host" in screen, screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
