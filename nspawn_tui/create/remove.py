"""Removing a half-made tree: only the one this run created, never across a mount.

A killed debootstrap can leave ``proc``, ``sys`` or ``dev`` mounted inside
the tree; they are unmounted (lazily) first, and removal is refused while
anything is still mounted below it.  The tree must be exactly
``DIRECTORY/NAME`` and the very directory this run made (same device and
inode), not a symbolic link.  Blocking: run it in a thread (a tree is large).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from typing import Final

MOUNTINFO: Final = "/proc/self/mountinfo"


class RemoveError(OSError):
    """The tree was not removed; the message says why."""


@dataclass(frozen=True)
class Made:
    """The directory a run created: where, and its identity."""

    tree: str
    directory: str
    device: int
    inode: int


def make_tree(tree: str, directory: str) -> Made:
    """Create ``tree`` (which must not exist) and remember it as this run's."""
    os.mkdir(tree, 0o755)
    info = os.lstat(tree)
    return Made(tree, directory, info.st_dev, info.st_ino)


def _unescape(path: str) -> str:
    """mountinfo's octal escapes (a space is ``\\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def mounts_below(tree: str, mountinfo: str = MOUNTINFO) -> list[str]:
    """Mount points at or below ``tree``, deepest first."""
    real = os.path.realpath(tree)
    found = []
    try:
        with open(mountinfo, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) > 4:
                    point = _unescape(fields[4])
                    if point == real or point.startswith(real + "/"):
                        found.append(point)
    except OSError as error:
        raise RemoveError(f"cannot read {mountinfo}: {error}") from None
    return sorted(found, key=len, reverse=True)


def _check(made: Made) -> None:
    name = os.path.basename(made.tree)
    expected = os.path.join(os.path.realpath(made.directory), name)
    if not name or "/" in name or name in (".", ".."):
        raise RemoveError(f"refusing to remove {made.tree}: not a tree of {made.directory}")
    if os.path.realpath(os.path.dirname(os.path.abspath(made.tree))) != os.path.dirname(expected):
        raise RemoveError(f"refusing to remove {made.tree}: not directly in {made.directory}")
    info = os.lstat(made.tree)
    if not stat.S_ISDIR(info.st_mode) or (info.st_dev, info.st_ino) != (made.device, made.inode):
        raise RemoveError(f"refusing to remove {made.tree}: not the directory this run created")


def remove_tree(made: Made, mountinfo: str = MOUNTINFO) -> bool:
    """Remove the tree this run made; False when it is gone already."""
    try:
        _check(made)
    except FileNotFoundError:
        return False
    for point in mounts_below(made.tree, mountinfo):
        subprocess.run(["umount", "--lazy", point], capture_output=True, check=False, timeout=30)
    left = mounts_below(made.tree, mountinfo)
    if left:
        raise RemoveError(f"refusing to remove {made.tree}: {left[0]} is still mounted")
    errors: list[str] = []

    def failed(function: object, path: str, info: object) -> None:
        errors.append(path)

    shutil.rmtree(made.tree, onerror=failed)
    if os.path.lexists(made.tree):
        raise RemoveError(f"could not remove all of {made.tree} (first: {errors[:1]})")
    return True
