"""``nspawn-tui create`` for real: debootstrap from this host's mirror, systemd-firstboot,
the .nspawn file; the flat lab then boots the new tree and it answers with its hostname
and its root password.  A cancel during ``Retrieving`` leaves nothing; a taken and an
invalid name are refused before anything runs.

One full creation (debootstrap minbase: about 40 s here); its tree is reused for the checks.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import labkit
import pytest
from labkit.common import MACHINES_DIR

ROOT = Path(__file__).resolve().parents[2]
NAME = "ntl-labnew"
CANCELLED = "ntl-labcancel"
HOSTNAME = "labnew-host"
PASSWORD = "lab-Pass-17"
ETC = Path("/etc/systemd/nspawn")
CREATE_TIMEOUT = 600


def _env(tmp: Path, lab: labkit.FlatLab) -> dict[str, str]:
    home = tmp / "home"
    (home / ".config").mkdir(parents=True, exist_ok=True)
    return {**lab.env, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


def _argv(lab: labkit.FlatLab, name: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "nspawn_tui", "create", name, "--bus", lab.bus_address,
            "--distro", "debian", "--release", "bookworm", "--variant", "minbase", *extra]  # fmt: skip


def _remove(name: str) -> None:
    tree = MACHINES_DIR / name
    if tree.is_dir():
        subprocess.run(["umount", "--lazy", "--recursive", str(tree / "proc")], check=False,
                       capture_output=True)  # fmt: skip
        shutil.rmtree(tree, ignore_errors=True)
    for path in (ETC / f"{name}.nspawn", ETC / f"{name}.nspawn.bak"):
        path.unlink(missing_ok=True)


def _leftover_processes(word: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue  # gone meanwhile
            if word in cmdline and "pytest" not in cmdline:
                found.append(cmdline)
    return found


@pytest.fixture
def created(lab_host: labkit.FlatLab, tmp_path: Path) -> Iterator[tuple[labkit.FlatLab, str]]:
    """NAME made by ``nspawn-tui create`` (the output returned); removed afterwards."""
    _remove(NAME)
    try:
        started = time.monotonic()
        done = subprocess.run(
            _argv(lab_host, NAME, "--hostname", HOSTNAME, "--root-password-stdin"),
            input=PASSWORD + "\n", capture_output=True, text=True, env=_env(tmp_path, lab_host),
            cwd=ROOT, timeout=CREATE_TIMEOUT, check=False,
        )  # fmt: skip
        print(f"create took {time.monotonic() - started:.1f} s")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        yield lab_host, done.stdout + done.stderr
    finally:
        if NAME in lab_host.containers:
            lab_host.stop(NAME)
        _remove(NAME)


def test_cancel_during_retrieving_leaves_nothing(lab_host: labkit.FlatLab, tmp_path: Path) -> None:
    _remove(CANCELLED)
    proc = subprocess.Popen(
        _argv(lab_host, CANCELLED), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_env(tmp_path, lab_host), cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if line.strip().startswith("Retrieving:") and not line.strip().startswith(
                "Retrieving: 0"
            ):
                break
        else:
            pytest.fail("no Retrieving line:\n" + "".join(seen) + proc.stderr.read())  # type: ignore[union-attr]
        tree = MACHINES_DIR / CANCELLED
        assert tree.is_dir()  # the bootstrap was really under way
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "cancelled" in err
        assert not tree.exists()
        assert not list(MACHINES_DIR.glob(f"*{CANCELLED}*"))
        assert not (ETC / f"{CANCELLED}.nspawn").exists()
        assert _leftover_processes(CANCELLED) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        _remove(CANCELLED)


def test_create_boot_and_log_in(created: tuple[labkit.FlatLab, str], tmp_path: Path) -> None:
    lab, output = created
    tree = MACHINES_DIR / NAME
    # every step said with its shell equivalent; the stages seen; the password never shown
    assert re.search(r"\$ mkdir -m 0755 \S+ && debootstrap --variant=minbase "
                     r"--include=systemd,dbus,systemd-sysv bookworm \S+ http", output)  # fmt: skip
    assert f"--hostname={HOSTNAME} --root-password-hashed='$6$...'" in output
    for stage in ("Retrieving:", "Extracting:", "Unpacking:", "Configuring:", "Installed:"):
        assert stage in output, output
    assert PASSWORD not in output
    # the tree: hostname and the root password's hash set by systemd-firstboot
    assert (tree / "etc/hostname").read_text().strip() == HOSTNAME
    shadow = {line.split(":")[0]: line.split(":")[1]
              for line in (tree / "etc/shadow").read_text().splitlines()}  # fmt: skip
    assert shadow["root"].startswith("$6$")
    settings = (ETC / f"{NAME}.nspawn").read_text()
    assert "PrivateUsers=no" in settings and "VirtualEthernet=yes" in settings
    # a name taken now and an invalid name: refused before anything runs
    for name, words in ((NAME, "exists already"), ("ntl-bad..name", "'..'")):
        started = time.monotonic()
        refused = subprocess.run(_argv(lab, name), capture_output=True, text=True, timeout=60,
                                 env=_env(tmp_path, lab), cwd=ROOT, check=False)  # fmt: skip
        assert refused.returncode == 1, refused.stderr
        assert words in refused.stderr
        assert "==> " not in refused.stdout  # no step started
        assert time.monotonic() - started < 20
    assert not (MACHINES_DIR / "ntl-bad..name").exists()
    # the flat lab's machined boots it; it registers and runs with that hostname
    container = lab.boot(NAME)
    assert lab.busctl.machine(NAME, "State")["State"] == "running"  # type: ignore[index]
    assert lab.exec(NAME, ["hostname"]).stdout.strip() == HOSTNAME
    # the root password works: libc's crypt() inside checks it against /etc/shadow
    check = ('my $h = (getpwnam("root"))[1]; '
             'print((crypt($ARGV[0], $h) eq $h) ? "match" : "mismatch")')  # fmt: skip
    assert lab.exec(NAME, ["perl", "-e", check, PASSWORD]).stdout == "match"
    assert lab.exec(NAME, ["perl", "-e", check, "wrong"]).stdout == "mismatch"
    assert container.leader > 0
    assert os.path.isdir(tree)
