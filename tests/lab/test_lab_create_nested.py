"""A container made by ``nspawn-tui create`` boots from the list of a real systemd host.

The flat lab has machined but no service manager, so there a new tree is
booted by the lab itself (``test_lab_create*.py``). Here ``nspawn-tui create``
(debootstrap minbase, systemd-firstboot with a host name and a root password,
the ``.nspawn``) writes into the nested lab's outer host, a container running
systemd as its PID 1. Inside it, ``inner_actions/inner_create_boot.py`` runs
the app on the outer's machined: the new machine is listed stopped, ``b``
boots it through the outer's systemd (``systemd-nspawn@NAME.service`` with
the ``.nspawn`` we wrote) and a login over ``OpenMachineLogin`` takes the
password. The network is the host's: the outer cannot give an inner
container a veth (``labkit.nested.INNER_NSPAWN``); veth ``.nspawn`` files are
checked in ``test_lab_create*.py`` and the unit tests.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import labkit
import pytest
from labkit.inside import passed_count, run_pytest_inside

ROOT = Path(__file__).resolve().parents[2]
NAME = "ntl-nestnew"
HOSTNAME = "nestnew-host"
PASSWORD = "nest-Pass-17"
ETC = Path("/etc/systemd/nspawn")


@pytest.fixture
def outer(nested_lab: labkit.NestedLab, tmp_path: Path) -> Iterator[labkit.NestedLab]:
    machines = nested_lab.outer_root / "var/lib/machines"
    settings = nested_lab.outer_root / "etc/systemd/nspawn" / f"{NAME}.nspawn"

    def clean() -> None:
        nested_lab.run(["systemctl", "stop", f"systemd-nspawn@{NAME}"], timeout=60)  # waits
        shutil.rmtree(machines / NAME, ignore_errors=True)
        settings.unlink(missing_ok=True)
        (ETC / f"{NAME}.nspawn").unlink(missing_ok=True)

    clean()
    try:
        yield nested_lab
    finally:
        clean()


def test_a_created_tree_boots_from_the_list_of_a_systemd_host(
    outer: labkit.NestedLab, tmp_path: Path
) -> None:
    machines = outer.outer_root / "var/lib/machines"
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    env = {**outer.host.env, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "nspawn_tui", "create", NAME, "--bus", outer.host.bus_address,
         "--distro", "debian", "--release", "bookworm", "--variant", "minbase",
         "--directory", str(machines), "--network", "host", "--hostname", HOSTNAME,
         "--root-password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, env=env, cwd=ROOT,
        timeout=600, check=False,
    )  # fmt: skip
    print(f"create took {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # the settings go where the outer's systemd-nspawn@.service reads them
    written = ETC / f"{NAME}.nspawn"
    text = written.read_text()
    assert "VirtualEthernet=no" in text and "PrivateUsers=no" in text, text
    shutil.move(written, outer.outer_root / "etc/systemd/nspawn" / f"{NAME}.nspawn")
    result = run_pytest_inside(
        outer,
        ["inner_create_boot.py"],
        env={
            "NTL_CREATED": NAME,
            "NTL_CREATED_HOSTNAME": HOSTNAME,
            "NTL_CREATED_PASSWORD": PASSWORD,
        },
        timeout=300,
    )
    assert passed_count(result) == 1
    assert outer.unit_state(NAME) in ("inactive", "failed")  # stopped again inside
