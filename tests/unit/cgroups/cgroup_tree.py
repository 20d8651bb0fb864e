"""Helpers shared by the cgroup reader tests: a fake clock and file trees in cgroup formats."""

from __future__ import annotations

from pathlib import Path

UNIT = "/machine.slice/systemd-nspawn@web.service"


class FakeClock:
    """A clock the test moves by hand (``clock.now += 5``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def write_files(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(content)
