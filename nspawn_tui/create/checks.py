"""Everything a plan is checked for before anything runs (a refusal in words, or None)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from nspawn_tui.create.bootstrap import bootstrapper_for
from nspawn_tui.create.firstboot import hash_problem, key_problem
from nspawn_tui.create.model import MACHINES_DIR, CreatePlan, CreateSupport
from nspawn_tui.create.names import validate_name
from nspawn_tui.create.nspawnfile import setup_problem
from nspawn_tui.create.repos import KEYRING_HOWTO, ForeignRepos, fedora_key
from nspawn_tui.nspawn import ETC_DIR
from nspawn_tui.nspawn.settings import default_settings_path

_WORD_EXTRA = frozenset("+-.:~_")


def _word_problem(what: str, word: str) -> str | None:
    if (
        not word
        or word.startswith("-")
        or any(not (c.isascii() and (c.isalnum() or c in _WORD_EXTRA)) for c in word)
    ):
        return f"{what} {word!r} is not a valid name"
    return None


def foreign_problem(plan: CreatePlan, foreign: ForeignRepos) -> str | None:
    """What dnf or pacstrap lacks on this host to make a checked tree (create/repos.py)."""
    key = plan.signing_key
    if key and (not key.startswith(("file:///", "https://", "http://")) or _unsafe(key)):
        return f"the signing key {key!r} is not a file:///, https:// or http:// URL"
    if plan.distro == "fedora":
        if not plan.mirror and not foreign.dnf_repos:
            return "this host's dnf has no repositories: give a Fedora mirror (…/$basearch/os/)"
        if plan.mirror and not key and not fedora_key(plan.release, foreign.rpm_keys):
            return (
                f"no key to check Fedora {plan.release}'s packages with: put "
                f"RPM-GPG-KEY-fedora-{plan.release}-primary in /etc/pki/rpm-gpg, "
                "or give the key's URL (Signing key; --gpg-key)"
            )
    elif plan.distro == "arch":
        if not plan.mirror and not foreign.pacman_repos:
            return "this host's pacman has no repositories: give an Arch mirror"
        if not foreign.pacman_keyring:
            return (
                "pacstrap checks packages with this host's pacman keyring; "
                f"there is none: {KEYRING_HOWTO}"
            )
    return None


def _unsafe(value: str) -> bool:
    return value.startswith("-") or any(c.isspace() or c == "," for c in value)


def complete_plan(plan: CreatePlan, foreign: ForeignRepos) -> CreatePlan:
    """``plan`` with what the host fills in: Fedora's signing key for a mirror."""
    if plan.distro == "fedora" and plan.mirror and not plan.signing_key:
        key = fedora_key(plan.release, foreign.rpm_keys)
        if key:
            return replace(plan, signing_key=key)
    return plan


def plan_problem(
    plan: CreatePlan,
    support: CreateSupport,
    *,
    etc_dir: Path = ETC_DIR,
    exists: Callable[[str], bool] = os.path.lexists,
    isdir: Callable[[str], bool] = os.path.isdir,
) -> str | None:
    """Why ``plan`` cannot run on a host that offers ``support``, or None."""
    if support.refusal:
        return support.refusal
    problem = validate_name(plan.name, support.existing)
    if problem is not None:
        return problem
    if plan.distro == "clone":
        if plan.clone_source not in support.existing:
            return f"there is no image called {plan.clone_source or '(none)'} to clone"
        if plan.directory.rstrip("/") != MACHINES_DIR:
            return f"a clone goes where its source is, {MACHINES_DIR}"
    else:
        tool = bootstrapper_for(plan.distro, support.bootstrappers)
        if tool is None:
            return f"no bootstrapper for {plan.distro}"
        if not tool.available:
            return f"{tool.tool} is not installed (apt-get install {tool.package})"
        if plan.distro != "arch":
            problem = _word_problem("the release", plan.release)
        for package in plan.packages:
            problem = problem or _word_problem("the package", package)
        if plan.variant:
            problem = problem or _word_problem("the variant", plan.variant)
        if plan.mirror and _unsafe(plan.mirror):
            problem = problem or f"the mirror {plan.mirror!r} is not a URL"
        problem = problem or foreign_problem(plan, support.foreign)
        if problem is not None:
            return problem
    if not plan.directory.startswith("/") or not isdir(plan.directory):
        return f"the directory {plan.directory} does not exist"
    if exists(plan.tree):
        return f"{plan.tree} exists already"
    settings = default_settings_path(plan.name, etc_dir=etc_dir)
    if exists(str(settings)):
        return f"{settings} exists already (remove it, or choose another name)"
    boot = plan.firstboot
    for problem in (hash_problem(boot.root_password_hash), key_problem(boot.root_ssh_key)):
        if problem is not None:
            return problem
    if boot.hostname and validate_name(boot.hostname) is not None:
        return f"the hostname {boot.hostname!r} is not valid"
    for what, value in (("time zone", boot.timezone), ("locale", boot.locale)):
        if value and (value.startswith("-") or any(c.isspace() or c == "=" for c in value)):
            return f"the {what} {value!r} is not valid"
    return setup_problem(plan.nspawn, exists)
