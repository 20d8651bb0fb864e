"""``nspawn-tui create --distro fedora`` and ``--distro arch`` for real: Debian's dnf and
pacstrap (arch-install-scripts) install from a local repository through nspawn-tui.

No Fedora or Arch mirror is reachable here (only Debian's, PyPI and npm), so each
repository holds stand-in packages of the names nspawn-tui installs (``systemd``,
``passwd``, ``dnf``, ``fedora-release``; ``base``, ``systemd``, ``dbus``), each a
single file, built here (``rpmbuild``; a pacman package is a tar with ``.PKGINFO``)
and **signed** with a key of the test's own: signatures are checked as they would
be against a real mirror (dnf through ``--gpg-key``, pacman through the host's
keyring, set up for the test when the host has none and removed after).  What runs
is real: the argv nspawn-tui builds, the tools' own output read into stages, the
pacman.conf written for the mirror, systemd-firstboot on the tree, the .nspawn
file; a package signed by an unknown key fails the bootstrap and leaves nothing.
The trees cannot boot (their ``systemd`` is a stand-in); booting a created tree is
tests/lab/test_lab_create.py's (Debian).
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import labkit
import pytest
from labkit.common import MACHINES_DIR

ROOT = Path(__file__).resolve().parents[2]
ETC = Path("/etc/systemd/nspawn")
KEYRING = Path("/etc/pacman.d/gnupg")
TOOLS = ("dnf", "rpmbuild", "rpmsign", "createrepo_c", "pacstrap", "repo-add", "bsdtar", "gpg",
         "pacman-key")  # fmt: skip
FEDORA = ("systemd", "passwd", "dnf", "fedora-release")
ARCH = ("base", "systemd", "dbus")
TIMEOUT = 300
#: pacstrap -c uses the host's package cache: a version of this run's own, removed after
PACMAN_VERSION = f"1.0.{os.getpid()}.{int(time.time())}-1"
HOST_CACHE = Path("/var/cache/pacman/pkg")

DNF_STAGES = ("Resolving", "Downloading", "Checking", "Installing", "Verifying", "Finishing")
PACMAN_STAGES = ("Resolving", "Downloading", "Checking", "Installing", "Finishing")


def printed_stages(out: str) -> list[str]:
    """The bootstrap's stage lines the command printed, by their first word, each once."""
    seen: list[str] = []
    for line in out.splitlines():
        words = line.split(maxsplit=1)
        word = words[0].rstrip(":") if words else ""
        if word in DNF_STAGES and word not in seen:
            seen.append(word)
    return seen


def in_order(seen: list[str], order: tuple[str, ...]) -> bool:
    """``seen`` has at least two stages, all of ``order``'s and in its order."""
    return (
        len(seen) >= 2 and all(s in order for s in seen) and seen == sorted(seen, key=order.index)
    )


pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in TOOLS),
    reason="needs " + " ".join(t for t in TOOLS if shutil.which(t) is None),
)


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120,
                          **kwargs)  # type: ignore[call-overload]  # fmt: skip
    assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    return done  # type: ignore[no-any-return]


def _gpg_key(home: Path, uid: str) -> str:
    """A signing key without passphrase in ``home``; its fingerprint."""
    home.mkdir(mode=0o700, parents=True)
    env = {**os.environ, "GNUPGHOME": str(home)}
    _run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
          "--quick-gen-key", uid, "rsa2048", "sign", "never"], env=env)  # fmt: skip
    listed = _run(["gpg", "--batch", "--with-colons", "--list-keys", uid], env=env).stdout
    return next(line.split(":")[9] for line in listed.splitlines() if line.startswith("fpr:"))


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("keys")
    homes = {"good": base / "good", "stranger": base / "stranger"}
    for name, home in homes.items():
        _gpg_key(home, f"nspawn-tui {name} <{name}@test.invalid>")
    return homes


@pytest.fixture(scope="module")
def rpm_repo(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> tuple[Path, Path]:
    """A dnf repository of the four stand-ins, signed; (repository, public key)."""
    base = tmp_path_factory.mktemp("rpm")
    repo = base / "repo"
    for name in FEDORA:
        spec = base / f"{name}.spec"
        spec.write_text(
            f"Name: {name}\nVersion: 1.0\nRelease: 1\nSummary: stand-in {name}\nLicense: MIT\n"
            "BuildArch: noarch\n%description\nstand-in\n%install\n"
            "mkdir -p %{buildroot}/usr/share/stand-in\n"
            f"echo {name} > %{{buildroot}}/usr/share/stand-in/{name}\n"
            f"%files\n/usr/share/stand-in/{name}\n"
        )
        _run(["rpmbuild", "-bb", "--define", f"_topdir {base / 'top'}", str(spec)])
    repo.mkdir()
    for rpm in glob.glob(str(base / "top/RPMS/noarch/*.rpm")):
        shutil.copy(rpm, repo)
    env = {**os.environ, "GNUPGHOME": str(keys["good"])}
    _run(["rpmsign", "--addsign", "--define", "_gpg_name nspawn-tui good",
          "--define", f"__gpg {shutil.which('gpg')}", *glob.glob(str(repo / "*.rpm"))],
         env=env)  # fmt: skip
    _run(["createrepo_c", "-q", str(repo)])
    public = base / "good.asc"
    public.write_text(_run(["gpg", "--armor", "--export"], env=env).stdout)
    return repo, public


def _pacman_package(path: Path, name: str) -> None:
    info = (f"pkgname = {name}\npkgbase = {name}\npkgver = {PACMAN_VERSION}\npkgdesc = stand-in\n"
            f"builddate = {int(time.time())}\npackager = tests\nsize = 10\narch = any\n"
            "license = MIT\n")  # fmt: skip
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for directory in ("usr", "usr/share", "usr/share/stand-in"):
            entry = tarfile.TarInfo(directory)
            entry.type, entry.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(entry)
        for member, data in ((".PKGINFO", info), (f"usr/share/stand-in/{name}", name + "\n")):
            entry = tarfile.TarInfo(member)
            entry.size, entry.mode, entry.mtime = len(data.encode()), 0o644, int(time.time())
            tar.addfile(entry, io.BytesIO(data.encode()))


def _pacman_repo(base: Path, home: Path) -> Path:
    """``core`` (the stand-ins, each signed by ``home``'s key) and an empty ``extra``."""
    env = {**os.environ, "GNUPGHOME": str(home)}
    core = base / "core/os/x86_64"
    extra = base / "extra/os/x86_64"
    core.mkdir(parents=True)
    extra.mkdir(parents=True)
    for name in ARCH:
        package = core / f"{name}-{PACMAN_VERSION}-any.pkg.tar.gz"
        _pacman_package(package, name)
        _run(["gpg", "--batch", "--detach-sign", "--no-armor", str(package)], env=env)
    _run(["repo-add", "-q", str(core / "core.db.tar.gz"), *map(str, sorted(core.glob("*.tar.gz")))])
    _run(["repo-add", "-q", str(extra / "extra.db.tar.gz")])
    return base


@pytest.fixture(scope="module")
def pacman_repos(
    tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]
) -> Iterator[tuple[Path, Path]]:
    """(signed by a key the host's keyring trusts, signed by one it does not know)."""
    good = _pacman_repo(tmp_path_factory.mktemp("arch-good"), keys["good"])
    stranger = _pacman_repo(tmp_path_factory.mktemp("arch-stranger"), keys["stranger"])
    made_keyring = not KEYRING.exists()
    if made_keyring:  # a Debian host: a keyring for the test, as pacman-key makes one
        _run(["pacman-key", "--init"])
    env = {**os.environ, "GNUPGHOME": str(keys["good"])}
    public = tmp_path_factory.mktemp("arch-key") / "good.asc"
    public.write_text(_run(["gpg", "--armor", "--export"], env=env).stdout)
    fingerprint = _run(["gpg", "--batch", "--with-colons", "--list-keys"], env=env).stdout
    fpr = next(line.split(":")[9] for line in fingerprint.splitlines() if line.startswith("fpr:"))
    _run(["pacman-key", "--add", str(public)])
    _run(["pacman-key", "--lsign-key", fpr])
    try:
        yield good, stranger
    finally:
        for cached in HOST_CACHE.glob(f"*-{PACMAN_VERSION}-any.pkg.tar.gz*"):
            cached.unlink()
        if made_keyring:
            shutil.rmtree(KEYRING, ignore_errors=True)
        else:
            subprocess.run(["pacman-key", "--delete", fpr], capture_output=True, check=False)


def _remove(name: str) -> None:
    tree = MACHINES_DIR / name
    if tree.is_dir():
        shutil.rmtree(tree, ignore_errors=True)
    for path in (ETC / f"{name}.nspawn", ETC / f"{name}.nspawn.bak"):
        path.unlink(missing_ok=True)


def _create(lab: labkit.FlatLab, tmp: Path, name: str, *args: str,
            password: str = "") -> subprocess.CompletedProcess[str]:  # fmt: skip
    home = tmp / "home"
    (home / ".config").mkdir(parents=True, exist_ok=True)
    env = {**lab.env, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    argv = [sys.executable, "-m", "nspawn_tui", "create", name, "--bus", lab.bus_address,
            "--network", "host", *args]  # fmt: skip
    if password:
        argv.append("--root-password-stdin")
    return subprocess.run(argv, input=password + "\n", capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=TIMEOUT, check=False)  # fmt: skip


def _mounts_below(tree: Path) -> list[str]:
    text = Path("/proc/self/mountinfo").read_text()
    return [line.split()[4] for line in text.splitlines() if line.split()[4].startswith(str(tree))]


def _pacman_confs() -> set[str]:
    return set(glob.glob("/tmp/nspawn-tui-*.pacman.conf"))


def test_fedora_with_dnf_from_a_signed_mirror(
    lab_host: labkit.FlatLab, tmp_path: Path, rpm_repo: tuple[Path, Path]
) -> None:
    repo, public = rpm_repo
    name = "ntl-fedora"
    _remove(name)
    try:
        done = _create(lab_host, tmp_path, name, "--distro", "fedora", "--release", "40",
                       "--mirror", f"file://{repo}", "--gpg-key", f"file://{public}",
                       "--hostname", "fedora-host", password="fed-Pass-17")  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        out = done.stdout
        # the argv said, with the key the packages are checked against (never gpgcheck off)
        assert f"--repofrompath=nspawn-tui,file://{repo}" in out
        assert f"--setopt=nspawn-tui.gpgkey=file://{public}" in out and "gpgcheck" not in out
        # dnf's own output read into stages with its counts (a stage over within one
        # reading of the output is not printed: from a local repository some are)
        assert in_order(printed_stages(out), DNF_STAGES), out
        assert "/4 packages" in out
        tree = MACHINES_DIR / name
        assert sorted(p.name for p in (tree / "usr/share/stand-in").iterdir()) == sorted(FEDORA)
        # first boot done on the tree: hostname, the root password's hash (never the text)
        assert (tree / "etc/hostname").read_text().strip() == "fedora-host"
        shadow = (tree / "etc/shadow").read_text()
        assert "root:$6$" in shadow and "fed-Pass-17" not in shadow + out + done.stderr
        assert "VirtualEthernet=no" in (ETC / f"{name}.nspawn").read_text()
    finally:
        _remove(name)


def test_fedora_mirror_without_a_key_is_refused_before_anything_runs(
    lab_host: labkit.FlatLab, tmp_path: Path, rpm_repo: tuple[Path, Path]
) -> None:
    repo, _public = rpm_repo
    if glob.glob("/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-40-primary"):
        pytest.skip("this host has Fedora 40's key: the mirror would be checked with it")
    name = "ntl-fedora-nokey"
    _remove(name)
    done = _create(lab_host, tmp_path, name, "--distro", "fedora", "--release", "40",
                   "--mirror", f"file://{repo}")  # fmt: skip
    assert done.returncode == 1
    assert "no key to check Fedora 40's packages with" in done.stderr
    assert "--gpg-key" in done.stderr
    assert not (MACHINES_DIR / name).exists() and not (ETC / f"{name}.nspawn").exists()


def test_arch_with_pacstrap_from_a_signed_mirror(
    lab_host: labkit.FlatLab, tmp_path: Path, pacman_repos: tuple[Path, Path]
) -> None:
    good, _stranger = pacman_repos
    name = "ntl-arch"
    _remove(name)
    before = _pacman_confs()
    try:
        done = _create(lab_host, tmp_path, name, "--distro", "arch", "--mirror", f"file://{good}",
                       "--hostname", "arch-host")  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        out = done.stdout
        # the pacman.conf written for the mirror, shown as its shell equivalent
        assert "SigLevel = Required DatabaseOptional" in out
        assert f"Server = file://{good}/$repo/os/$arch" in out
        assert "pacstrap -C pacman.conf -M -c" in out
        # pacman's output read into stages with its counts (as for dnf, a stage over
        # within one reading of the output is not printed)
        assert in_order(printed_stages(out), PACMAN_STAGES), out
        assert "/3 packages" in out, out
        tree = MACHINES_DIR / name
        assert sorted(p.name for p in (tree / "usr/share/stand-in").iterdir()) == sorted(ARCH)
        # the tree's pacman uses the same mirror; pacstrap's mounts are gone; no conf left
        assert f"Server = file://{good}/$repo/os/$arch" in (
            tree / "etc/pacman.d/mirrorlist").read_text()  # fmt: skip
        assert _mounts_below(tree) == []
        assert _pacman_confs() == before
        assert (tree / "etc/hostname").read_text().strip() == "arch-host"
    finally:
        _remove(name)


def test_arch_package_signed_by_an_unknown_key_fails_and_leaves_nothing(
    lab_host: labkit.FlatLab, tmp_path: Path, pacman_repos: tuple[Path, Path]
) -> None:
    _good, stranger = pacman_repos
    name = "ntl-arch-bad"
    _remove(name)
    before = _pacman_confs()
    done = _create(lab_host, tmp_path, name, "--distro", "arch", "--mirror", f"file://{stranger}")
    assert done.returncode == 1
    # the tool's own words in the log tail, then why; nothing left behind
    assert "    | " in done.stderr and "pacstrap failed with exit status" in done.stderr
    assert "left behind" not in done.stderr
    assert not (MACHINES_DIR / name).exists() and not (ETC / f"{name}.nspawn").exists()
    assert _pacman_confs() == before
    assert not [line for line in Path("/proc/self/mountinfo").read_text().splitlines()
                if f"/{name}" in line]  # fmt: skip
