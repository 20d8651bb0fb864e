"""Every refusal before anything runs (one plan problem at a time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nspawn_tui.create.checks import plan_problem
from nspawn_tui.create.model import Bootstrapper, CreatePlan, CreateSupport, FirstBoot

SUPPORT = CreateSupport(
    (Bootstrapper(("debian", "ubuntu"), "debootstrap", "debootstrap", True, "/usr/sbin/debootstrap"),
     Bootstrapper(("arch",), "pacstrap", "arch-install-scripts", False)),
    existing=frozenset({"web", "base-image"}),
)  # fmt: skip


def _plan(tmp_path: Path, **changes: object) -> CreatePlan:
    values: dict[str, object] = {"name": "new", "distro": "debian", "release": "bookworm",
                                 "directory": str(tmp_path)}  # fmt: skip
    values.update(changes)
    return CreatePlan(**values)  # type: ignore[arg-type]


def test_a_good_plan_passes(tmp_path: Path) -> None:
    assert plan_problem(_plan(tmp_path), SUPPORT, etc_dir=tmp_path / "etc") is None


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"name": "web"}, "exists already"),
        ({"name": "bad..name"}, "'..'"),
        ({"distro": "arch"}, "apt-get install arch-install-scripts"),
        ({"distro": "fedora"}, "no bootstrapper for fedora"),
        ({"release": ""}, "the release"),
        ({"release": "--foreign"}, "the release"),
        ({"packages": ("vim", "a b")}, "the package"),
        ({"mirror": "-x"}, "not a URL"),
        ({"directory": "/no/such/dir"}, "does not exist"),
        ({"distro": "clone", "clone_source": "nope"}, "no image called nope"),
        ({"firstboot": FirstBoot(root_password_hash="clear-text")}, "never the clear text"),
        ({"firstboot": FirstBoot(root_ssh_key="not a key")}, "public key line"),
        ({"firstboot": FirstBoot(hostname="bad host")}, "hostname"),
        ({"firstboot": FirstBoot(timezone="--x")}, "time zone"),
    ],
)
def test_refusals(tmp_path: Path, changes: dict[str, object], words: str) -> None:
    problem = plan_problem(_plan(tmp_path, **changes), SUPPORT, etc_dir=tmp_path / "etc")
    assert problem is not None and words in problem, problem


def test_an_existing_tree_or_settings_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    assert "exists already" in (plan_problem(_plan(tmp_path), SUPPORT, etc_dir=tmp_path) or "")
    (tmp_path / "new").rmdir()
    (tmp_path / "new.nspawn").write_text("[Exec]\n")
    problem = plan_problem(_plan(tmp_path), SUPPORT, etc_dir=tmp_path)
    assert problem is not None and "new.nspawn exists already" in problem


def test_a_host_that_cannot_create_says_why(tmp_path: Path) -> None:
    support = CreateSupport((), refusal="creating containers on far: not supported")
    assert plan_problem(_plan(tmp_path), support) == "creating containers on far: not supported"
