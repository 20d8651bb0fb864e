"""Bootstrappers: detection, the argv of each (with what booting needs), the host's mirror."""

from __future__ import annotations

from pathlib import Path

from nspawn_tui.create.bootstrap import bootstrap_argv, default_mirror, detect_bootstrappers
from nspawn_tui.create.model import CreatePlan


def test_detection_names_the_package_of_a_missing_tool() -> None:
    found = detect_bootstrappers(
        lambda tool: "/usr/sbin/debootstrap" if tool == "debootstrap" else None
    )
    by_tool = {b.tool: b for b in found}
    assert by_tool["debootstrap"].available and by_tool["debootstrap"].distros == (
        "debian",
        "ubuntu",
    )
    assert by_tool["debootstrap"].path == "/usr/sbin/debootstrap"
    assert (
        not by_tool["pacstrap"].available and by_tool["pacstrap"].package == "arch-install-scripts"
    )
    assert not by_tool["dnf"].available and by_tool["dnf"].package == "dnf"


def test_argv_per_distro() -> None:
    debian = CreatePlan(
        "a", "debian", "bookworm", "http://m/debian", ("vim", "dbus"), "minbase", "/m"
    )
    assert bootstrap_argv(debian) == ["debootstrap", "--variant=minbase",
                                      "--include=systemd,dbus,systemd-sysv,vim", "bookworm",
                                      "/m/a", "http://m/debian"]  # fmt: skip
    ubuntu = CreatePlan("u", "ubuntu", "noble", directory="/m")
    assert bootstrap_argv(ubuntu, "/usr/sbin/debootstrap") == [
        "/usr/sbin/debootstrap", "--include=systemd,dbus,systemd-sysv", "noble", "/m/u"]  # fmt: skip
    arch = CreatePlan("b", "arch", packages=("vim",), directory="/m")
    assert bootstrap_argv(arch) == ["pacstrap", "-c", "/m/b", "base", "systemd", "dbus", "vim"]
    fedora = CreatePlan("f", "fedora", "40", directory="/m")
    assert bootstrap_argv(fedora) == ["dnf", "-y", "--installroot=/m/f", "--releasever=40",
                                      "--setopt=install_weak_deps=False", "install", "systemd",
                                      "passwd", "dnf", "fedora-release"]  # fmt: skip


def test_mirror_from_deb822_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d/debian.sources").write_text(
        "Types: deb\n# http://snapshot.debian.org/archive/debian/2025\n"
        "URIs: http://mirror.example/debian\nSuites: bookworm\nComponents: main\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
    )
    assert default_mirror(str(tmp_path / "none"), str(tmp_path / "sources.list.d")) == (
        "http://mirror.example/debian"
    )


def test_mirror_from_one_line_sources_skips_security_and_src(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text(
        "# deb http://commented/debian bookworm main\n"
        "deb-src http://src/debian bookworm main\n"
        "deb http://security.debian.org/debian-security bookworm-security main\n"
        "deb [arch=amd64 signed-by=/k.gpg] https://deb.example/debian bookworm main\n"
    )
    assert default_mirror(str(tmp_path / "sources.list"), str(tmp_path / "none")) == (
        "https://deb.example/debian"
    )


def test_no_sources_no_mirror(tmp_path: Path) -> None:
    assert default_mirror(str(tmp_path / "x"), str(tmp_path / "y")) == ""


def test_a_disabled_stanza_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.sources").write_text(
        "Types: deb\nURIs: http://off/debian\nEnabled: no\n\nTypes: deb\nURIs: http://on/debian\n"
    )
    assert default_mirror(str(tmp_path / "x"), str(tmp_path)) == "http://on/debian"
