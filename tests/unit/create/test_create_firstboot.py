"""First boot: the password hashed through stdin, never in an argv; the SSH key file."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from nspawn_tui.create.firstboot import (
    FirstBootError,
    firstboot_argv,
    hash_password,
    shown,
    write_authorized_key,
)
from nspawn_tui.create.model import FirstBoot

CLEAR = "s3cret pass'word"


def test_hash_is_sha512_crypt_and_verifies() -> None:
    hashed = hash_password(CLEAR)
    assert hashed.startswith("$6$")
    salt = hashed.split("$")[2]
    again = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
                           input=CLEAR + "\n", capture_output=True, text=True, check=True)  # fmt: skip
    assert again.stdout.strip() == hashed
    assert hash_password(CLEAR) != hashed  # a new salt each time


def test_the_clear_password_never_reaches_an_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []
    real_run = subprocess.run

    def spy(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        seen.append(list(argv))
        return real_run(argv, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(subprocess, "run", spy)
    hashed = hash_password(CLEAR)
    argv = firstboot_argv("/m/x", FirstBoot(hostname="h", root_password_hash=hashed))
    seen.append(argv)
    assert all(CLEAR not in word for command in seen for word in command)
    assert f"--root-password-hashed={hashed}" in argv
    assert not any(word.startswith(("--root-password=", "--root-password-file")) for word in argv)
    assert hashed not in shown(argv)
    assert "--root-password-hashed='$6$...'" in shown(argv)


def test_firstboot_argv() -> None:
    setup = FirstBoot(hostname="web1", timezone="Europe/Berlin", locale="C.UTF-8")
    assert firstboot_argv("/var/lib/machines/web1", setup) == [
        "systemd-firstboot", "--root=/var/lib/machines/web1", "--force", "--hostname=web1",
        "--timezone=Europe/Berlin", "--locale=C.UTF-8",
    ]  # fmt: skip
    assert firstboot_argv("/m/x", FirstBoot()) == []  # nothing to set: no step


@pytest.mark.parametrize("bad", ["", "two\nlines", "nul\0"])
def test_unusable_passwords(bad: str) -> None:
    with pytest.raises(FirstBootError):
        hash_password(bad)


def test_authorized_keys_modes_and_append(tmp_path: Path) -> None:
    write_authorized_key(str(tmp_path), "ssh-ed25519 AAAA one")
    write_authorized_key(str(tmp_path), "ssh-ed25519 BBBB two\n")
    keys = tmp_path / "root/.ssh/authorized_keys"
    assert keys.read_text() == "ssh-ed25519 AAAA one\nssh-ed25519 BBBB two\n"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "root/.ssh").stat().st_mode) == 0o700


def test_a_link_in_the_tree_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "host-root-ssh"
    outside.mkdir()
    tree = tmp_path / "tree"
    (tree / "root").mkdir(parents=True)
    os.symlink(outside, tree / "root/.ssh")  # a clone could hold this
    with pytest.raises(FirstBootError):
        write_authorized_key(str(tree), "ssh-ed25519 AAAA evil")
    assert list(outside.iterdir()) == []
