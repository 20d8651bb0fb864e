"""Fixtures of the real-host lab (see README.md). Everything under tests/lab
is marked ``lab``; run only the lab with ``.venv/bin/pytest -m lab``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import labkit
import pytest

LAB_DIR = Path(__file__).resolve().parent
FLAT_RUNNING = ("ntl-alpha", "ntl-beta")
FLAT_STOPPED = "ntl-image"
INNER_RUNNING = "ntl-inner1"
INNER_STOPPED = "ntl-inner2"
_BOOT_TIMES: dict[str, float] = {}
_INSTALL_TIMES: dict[str, float] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if LAB_DIR == item.path.parent or LAB_DIR in item.path.parents:
            item.add_marker(pytest.mark.lab)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _BOOT_TIMES or _INSTALL_TIMES:
        terminalreporter.section("lab timings (root extraction, boot until systemd is up)")
        for name in sorted(_INSTALL_TIMES.keys() | _BOOT_TIMES.keys()):
            install = _INSTALL_TIMES.get(name)
            boot = _BOOT_TIMES.get(name)
            terminalreporter.write_line(
                f"{name:<14} extract {'-' if install is None else f'{install:5.2f} s':>7}"
                f"   boot {'-' if boot is None else f'{boot:5.2f} s':>7}"
            )


@pytest.fixture(scope="session")
def lab_host() -> Iterator[labkit.FlatLab]:
    """Private system bus + real machined, nothing booted (shared by both labs)."""
    reason = labkit.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    try:
        labkit.ensure_rootfs()
    except labkit.LabUnavailable as error:
        pytest.skip(f"cannot build the lab's root file system: {error}")
    lab = labkit.FlatLab().start()  # closes itself if starting fails
    try:
        yield lab
    finally:
        _BOOT_TIMES.update(lab.boot_times)
        _INSTALL_TIMES.update(lab.install_times)
        lab.close()


@pytest.fixture(scope="session")
def flat_lab(lab_host: labkit.FlatLab) -> labkit.FlatLab:
    """ntl-alpha and ntl-beta booted, ntl-image stopped. Shared: do not stop them."""
    for name in FLAT_RUNNING:
        lab_host.boot(name)
    lab_host.add_image(FLAT_STOPPED)
    return lab_host


def _running(nested: labkit.NestedLab) -> Iterator[labkit.NestedLab]:
    """Start ``nested`` (skip when its root cannot be built), yield it, power it off."""
    try:
        nested.start()
    except labkit.LabUnavailable as error:
        nested.close()
        pytest.skip(f"cannot build the outer's root file system: {error}")
    except BaseException:
        nested.close()
        raise
    try:
        yield nested
    finally:
        _BOOT_TIMES.update(nested.boot_times)
        nested.close()


@pytest.fixture(scope="session")
def nested_lab(lab_host: labkit.FlatLab) -> Iterator[labkit.NestedLab]:
    """ntl-outer (a systemd host) running ntl-inner1, with ntl-inner2 stopped."""
    yield from _running(
        labkit.NestedLab(lab_host, boot_inner=[INNER_RUNNING], stopped_inner=[INNER_STOPPED])
    )


@pytest.fixture(scope="session")
def outer_ssh(nested_lab: labkit.NestedLab, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``labkit.sshd.SshAccess`` to the outer host's real sshd (loopback), files of the test's own."""
    return nested_lab.ssh_access(tmp_path_factory.mktemp("ssh"))


FLEET_RUNNING = "ntl-fleet-web"
FLEET_STOPPED = "ntl-fleet-db"


@pytest.fixture(scope="session")
def fleet_outer(lab_host: labkit.FlatLab) -> Iterator[labkit.NestedLab]:
    """A second remote systemd host, ``ntl-fleet``, whose systemd accounts memory and tasks.

    Running ``ntl-fleet-web``, with ``ntl-fleet-db`` stopped. Separate from
    ``nested_lab`` (which keeps its read-only v1 hierarchies: memory n/a there).
    """
    yield from _running(
        labkit.NestedLab(
            lab_host,
            outer="ntl-fleet",
            boot_inner=[FLEET_RUNNING],
            stopped_inner=[FLEET_STOPPED],
            accounting=True,
        )
    )


@pytest.fixture(scope="session")
def fleet_ssh(fleet_outer: labkit.NestedLab, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``labkit.sshd.SshAccess`` to ``ntl-fleet``'s real sshd."""
    return fleet_outer.ssh_access(tmp_path_factory.mktemp("fleet-ssh"))
