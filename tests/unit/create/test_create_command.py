"""``nspawn-tui create`` on the demo host: output, status, refusals, the password read once."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from nspawn_tui.commands import create as create_command
from nspawn_tui.commands.parser import build_parser
from nspawn_tui.host.demo.host import DemoHost


def _args(*words: str) -> argparse.Namespace:
    return build_parser("test").parse_args(["create", *words])


def _host(read_only: bool = False) -> DemoHost:
    host = DemoHost(seed=1, frozen=True, read_only=read_only)
    host.create_seconds = 0.3
    return host


async def test_creates_and_prints_steps_and_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("pa55word\n"))
    out, err = io.StringIO(), io.StringIO()
    args = _args("new1", "--release", "bookworm", "--hostname", "h1", "--root-password-stdin",
                 "--network", "bridge:br0", "--port", "8080:80", "--enable")  # fmt: skip
    status = await create_command.run(_host(), args, out, err)
    text = out.getvalue()
    assert status == 0, err.getvalue()
    assert "==> Bootstrap Debian bookworm" in text
    assert "debootstrap --include=systemd,dbus,systemd-sysv bookworm /var/lib/machines/new1 " \
           "http://deb.debian.org/debian" in text  # fmt: skip
    assert "--root-password-hashed='$6$...'" in text
    assert "Bridge=br0" in text and "Port=tcp:8080:80" in text
    assert "$ systemctl enable systemd-nspawn@new1.service   # machinectl enable new1" in text
    assert ("Retrieving:" in text or "Validating:" in text) and "Installed: 42/42" in text
    assert text.rstrip().endswith("s") and "created new1" in text
    assert "pa55word" not in text + err.getvalue()


async def test_refusals_say_why_with_status_1(tmp_path: Path) -> None:
    for host, words, why in (
        (_host(read_only=True), ["x", "--release", "bookworm"], "--read-only"),
        (_host(), ["web", "--release", "bookworm"], "exists already"),
        (_host(), ["x", "--network", "nat"], "--network takes"),
        (_host(), ["x", "--release", "b", "--bind", str(tmp_path / "none")], "does not exist"),
        (_host(), ["x", "--ssh-key", str(tmp_path / "none")], "cannot read"),
    ):
        out, err = io.StringIO(), io.StringIO()
        assert await create_command.run(host, _args(*words), out, err) == 1
        assert why in err.getvalue()
        assert "==>" not in out.getvalue()


def test_options_make_the_plan(tmp_path: Path) -> None:
    key = tmp_path / "id.pub"
    key.write_text("ssh-ed25519 AAAA me@here\n")
    secret = tmp_path / "pw"
    secret.write_text("pw-from-file\n")
    args = _args("n", "--distro", "arch", "--packages", "vim, git", "--ssh-key", str(key),
                 "--root-password-file", str(secret), "--bind", "/srv:/data",
                 "--bind-ro", "/etc/ssl", "--port", "udp:53:53", "--private-users",
                 "--networkd", "--start")  # fmt: skip
    plan = create_command.plan_from_args(args, io.StringIO())
    assert plan.distro == "arch" and plan.packages == ("vim", "git")
    assert plan.firstboot.root_ssh_key == "ssh-ed25519 AAAA me@here"
    assert plan.firstboot.root_password_hash.startswith("$6$")
    assert [(b.host_path, b.container_path, b.read_only) for b in plan.nspawn.binds] == [
        ("/srv", "/data", False), ("/etc/ssl", "", True)]  # fmt: skip
    assert plan.nspawn.ports[0].protocol == "udp" and plan.nspawn.private_users
    assert plan.firstboot.enable_networkd and plan.start and not plan.enable
