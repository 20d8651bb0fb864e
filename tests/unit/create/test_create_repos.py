"""What this host's dnf and pacman install from and check with; the pacman.conf for a mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from nspawn_tui.create.bootstrap import bootstrap_argv
from nspawn_tui.create.checks import complete_plan, plan_problem
from nspawn_tui.create.model import Bootstrapper, CreatePlan, CreateSupport
from nspawn_tui.create.repos import (
    ForeignRepos,
    arch_server,
    detect_foreign,
    fedora_key,
    mirrorlist_text,
    pacman_conf_text,
)


def _detect(tmp_path: Path) -> ForeignRepos:
    return detect_foreign(
        key_dirs=(str(tmp_path / "rpm-gpg"), str(tmp_path / "distribution-gpg-keys")),
        repos_dir=str(tmp_path / "yum.repos.d"),
        pacman_conf=str(tmp_path / "pacman.conf"),
        keyring=str(tmp_path / "gnupg"),
    )


def test_a_debian_host_has_nothing(tmp_path: Path) -> None:
    # Debian's pacman.conf: [options] only, its repositories commented out
    (tmp_path / "pacman.conf").write_text(
        "[options]\nArchitecture = auto\n#[core]\n#Include = /etc/pacman.d/mirrorlist\n"
    )
    (tmp_path / "yum.repos.d").mkdir()
    (tmp_path / "yum.repos.d" / "off.repo").write_text(
        "[fedora]\nname=Fedora\nbaseurl=https://m/\nenabled=0\n"
    )
    assert _detect(tmp_path) == ForeignRepos()


def test_a_fedora_and_arch_host_has_everything(tmp_path: Path) -> None:
    (tmp_path / "rpm-gpg").mkdir()
    for name in ("RPM-GPG-KEY-fedora-40-primary", "RPM-GPG-KEY-fedora-41-primary", "other"):
        (tmp_path / "rpm-gpg" / name).write_text("key")
    (tmp_path / "yum.repos.d").mkdir()
    (tmp_path / "yum.repos.d" / "fedora.repo").write_text(
        "[fedora]\nname=Fedora $releasever\nmetalink=https://m/?repo=fedora-$releasever\n"
    )
    (tmp_path / "yum.repos.d" / "broken.repo").write_text("no section at all\n")
    (tmp_path / "pacman.conf").write_text(
        "[options]\nSigLevel = Required\n\n[core]  # the base\nInclude = /etc/pacman.d/mirrorlist\n"
    )
    (tmp_path / "gnupg").mkdir()
    (tmp_path / "gnupg" / "pubring.gpg").write_bytes(b"")
    found = _detect(tmp_path)
    assert found.dnf_repos and found.pacman_repos and found.pacman_keyring
    assert [Path(p).name for p in found.rpm_keys] == [
        "RPM-GPG-KEY-fedora-40-primary", "RPM-GPG-KEY-fedora-41-primary"]  # fmt: skip
    assert (
        fedora_key("41", found.rpm_keys)
        == f"file://{tmp_path}/rpm-gpg/RPM-GPG-KEY-fedora-41-primary"
    )
    assert fedora_key("39", found.rpm_keys) == ""


def test_pacman_conf_for_a_mirror_requires_signatures() -> None:
    text = pacman_conf_text("https://mirror.example/archlinux/")
    assert "SigLevel = Required DatabaseOptional" in text
    assert "GPGDir = /etc/pacman.d/gnupg/" in text
    assert text.count("Server = https://mirror.example/archlinux/$repo/os/$arch") == 2
    assert "[core]" in text and "[extra]" in text and "Never" not in text
    assert arch_server("file:///srv/a/$repo/os/$arch") == "file:///srv/a/$repo/os/$arch"
    assert mirrorlist_text("http://m").endswith("Server = http://m/$repo/os/$arch\n")


def test_argv_with_a_mirror() -> None:
    arch = CreatePlan("b", "arch", mirror="http://m", directory="/m")
    assert bootstrap_argv(arch, "", "/run/p.conf") == [
        "pacstrap", "-C", "/run/p.conf", "-M", "-c", "/m/b", "base", "systemd", "dbus"]  # fmt: skip
    fedora = CreatePlan("f", "fedora", "40", mirror="http://m/40/os/", directory="/m",
                        signing_key="file:///k")  # fmt: skip
    argv = bootstrap_argv(fedora)
    assert "--repofrompath=nspawn-tui,http://m/40/os/" in argv and "--repo=nspawn-tui" in argv
    assert "--setopt=nspawn-tui.gpgkey=file:///k" in argv
    assert not any("gpgcheck" in word for word in argv)  # never turned off


SUPPORT = CreateSupport(
    (Bootstrapper(("arch",), "pacstrap", "arch-install-scripts", True, "/usr/bin/pacstrap"),
     Bootstrapper(("fedora",), "dnf", "dnf", True, "/usr/bin/dnf")),
)  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "foreign", "words"),
    [
        ({"distro": "fedora", "release": "40"}, ForeignRepos(), "dnf has no repositories"),
        ({"distro": "fedora", "release": "40", "mirror": "http://m"}, ForeignRepos(),
         "RPM-GPG-KEY-fedora-40-primary in /etc/pki/rpm-gpg"),
        ({"distro": "fedora", "release": "40", "mirror": "http://m", "signing_key": "-k"},
         ForeignRepos(), "is not a file:///"),
        ({"distro": "fedora", "release": "40", "mirror": "http://m", "signing_key": "/k"},
         ForeignRepos(), "is not a file:///"),
        ({"distro": "arch"}, ForeignRepos(pacman_keyring=True), "pacman has no repositories"),
        ({"distro": "arch", "mirror": "http://m"}, ForeignRepos(), "pacman-key --populate archlinux"),
        ({"distro": "arch", "mirror": "http://m,x"}, ForeignRepos(pacman_keyring=True), "not a URL"),
    ],
)  # fmt: skip
def test_refusals_before_anything_runs(
    tmp_path: Path, changes: dict[str, object], foreign: ForeignRepos, words: str
) -> None:
    plan = CreatePlan(**{"name": "new", "directory": str(tmp_path), **changes})  # type: ignore[arg-type]
    support = CreateSupport(SUPPORT.bootstrappers, foreign=foreign)
    problem = plan_problem(plan, support, etc_dir=tmp_path / "etc")
    assert problem is not None and words in problem


@pytest.mark.parametrize(
    ("changes", "foreign"),
    [
        ({"distro": "fedora", "release": "40"}, ForeignRepos(dnf_repos=True)),
        ({"distro": "fedora", "release": "40", "mirror": "http://m", "signing_key": "https://k/f.gpg"},
         ForeignRepos()),
        ({"distro": "arch"}, ForeignRepos(pacman_repos=True, pacman_keyring=True)),
        ({"distro": "arch", "mirror": "file:///srv/arch"}, ForeignRepos(pacman_keyring=True)),
    ],
)  # fmt: skip
def test_what_a_host_can_make_passes(
    tmp_path: Path, changes: dict[str, object], foreign: ForeignRepos
) -> None:
    plan = CreatePlan(**{"name": "new", "directory": str(tmp_path), **changes})  # type: ignore[arg-type]
    support = CreateSupport(SUPPORT.bootstrappers, foreign=foreign)
    assert plan_problem(plan, support, etc_dir=tmp_path / "etc") is None


def test_the_host_key_fills_in_for_a_fedora_mirror() -> None:
    found = ForeignRepos(rpm_keys=("/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-40-primary",))
    plan = CreatePlan("f", "fedora", "40", mirror="http://m")
    assert complete_plan(plan, found).signing_key == (
        "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-40-primary")  # fmt: skip
    given = CreatePlan("f", "fedora", "40", mirror="http://m", signing_key="https://k")
    assert complete_plan(given, found).signing_key == "https://k"
    assert (
        complete_plan(CreatePlan("f", "fedora", "41", mirror="http://m"), found).signing_key == ""
    )
    assert complete_plan(CreatePlan("f", "fedora", "40"), found).signing_key == ""  # host repos
