"""labkit: a real systemd-nspawn / machined lab for nspawn-tui's tests.

See tests/lab/README.md for the design. Public API:
"""

from __future__ import annotations

from .cleanup import sweep, tagged_pids, veth_links
from .common import DEFAULT_PREFIX, LabError, LabUnavailable, unavailable_reason
from .flat import FlatLab, LabContainer
from .nested import NestedLab
from .rootfs import ensure_rootfs, install_root

__all__ = [
    "DEFAULT_PREFIX",
    "FlatLab",
    "LabContainer",
    "LabError",
    "LabUnavailable",
    "NestedLab",
    "ensure_rootfs",
    "install_root",
    "sweep",
    "tagged_pids",
    "unavailable_reason",
    "veth_links",
]
