"""A cached debootstrap root file system (a tarball) and its extraction.

The tarball lives outside the checkout, in /var/cache/nspawn-tui-lab, so that
only the first run on a machine pays for debootstrap (about a minute). Its
name encodes the package list. A lock file keeps two runs from building at
once; the result is renamed into place atomically.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path

from .common import LabError, LabUnavailable, remove_dir

CACHE_DIR = Path("/var/cache/nspawn-tui-lab")
SUITE = "bookworm"
#: minbase plus these: bootable, and able to act as a container host itself.
DEFAULT_PACKAGES: tuple[str, ...] = (
    "systemd",
    "dbus",
    "systemd-sysv",
    "systemd-container",
    "iproute2",
)
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BUILD_TIMEOUT = 900


def tarball_path(packages: Iterable[str] = DEFAULT_PACKAGES) -> Path:
    """Cache path for a root with ``packages``; the default set keeps a plain name."""
    wanted = sorted(set(packages))
    if wanted == sorted(DEFAULT_PACKAGES):
        return CACHE_DIR / f"{SUITE}-rootfs.tar"
    digest = hashlib.sha256(",".join(wanted).encode()).hexdigest()[:10]
    return CACHE_DIR / f"{SUITE}-rootfs-{digest}.tar"


def debian_mirror(etc: Path = Path("/etc/apt")) -> str:
    """The first Debian mirror configured for apt (deb822 or one-line format)."""
    for sources in sorted((etc / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", sources.read_text()):
            fields: dict[str, str] = dict(
                (key.strip().lower(), value.strip())
                for key, sep, value in (line.partition(":") for line in stanza.splitlines())
                if sep and not key.startswith("#") and not key.startswith(" ")
            )
            if "deb" in fields.get("types", "").split() and SUITE in fields.get("suites", ""):
                return fields["uris"].split()[0]
    lists = [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*.list"))]
    for path in lists:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            words = re.sub(r"\[[^]]*\]", "", line).split()
            if len(words) >= 3 and words[0] == "deb" and words[2].startswith(SUITE):
                return words[1]
    return DEFAULT_MIRROR


def ensure_rootfs(packages: Iterable[str] = DEFAULT_PACKAGES) -> Path:
    """Return the cached root tarball, building it with debootstrap if missing.

    Raises LabUnavailable when it cannot be built here (no debootstrap, no
    mirror reachable), with debootstrap's own words.
    """
    wanted = sorted(set(packages))
    target = tarball_path(wanted)
    if target.exists():
        return target
    if shutil.which("debootstrap") is None:
        raise LabUnavailable(f"{target} is missing and debootstrap is not installed")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building it right now
        if target.exists():
            return target
        _build(wanted, target)
    return target


def _build(packages: list[str], target: Path) -> None:
    build_dir = Path(tempfile.mkdtemp(prefix="build-", dir=CACHE_DIR))
    build_dir.chmod(0o755)  # mkdtemp's 0700 would become the root's mode
    partial = target.with_name(target.name + ".partial")
    try:
        command = [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(packages)}",
            SUITE,
            str(build_dir),
            debian_mirror(),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise LabUnavailable(f"debootstrap took longer than {BUILD_TIMEOUT}s") from error
        if result.returncode != 0:
            output = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
            raise LabUnavailable(f"debootstrap failed ({' '.join(command)}):\n{output}")
        packed = subprocess.run(
            ["tar", "-C", str(build_dir), "-cf", str(partial), "."],
            capture_output=True,
            text=True,
            check=False,
        )
        if packed.returncode != 0:
            raise LabError(f"tar of the debootstrap root failed: {packed.stderr}")
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
        remove_dir(build_dir)


def install_root(dest: Path, tarball: Path | None = None, *, hostname: str | None = None) -> Path:
    """Extract a root tarball into ``dest`` (created; must not exist yet).

    Gives the root its own machine ID (the tarball's would be shared by every
    container) and, if given, a host name.
    """
    tarball = tarball or ensure_rootfs()
    dest.mkdir(parents=True)
    result = subprocess.run(
        ["tar", "-C", str(dest), "--numeric-owner", "-xpf", str(tarball)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LabError(f"extracting {tarball} into {dest} failed: {result.stderr}")
    dest.chmod(0o755)  # services that drop privileges must traverse /
    (dest / "etc/machine-id").write_text(uuid.uuid4().hex + "\n")
    if hostname is not None:
        (dest / "etc/hostname").write_text(hostname + "\n")
    return dest
