"""A machined host reached over SSH: the machined host with its four seams filled remotely.

(stub: filled by the remote-host work)
"""

from __future__ import annotations

from nspawn_tui.host.base import Host, HostUnavailable
from nspawn_tui.remote.target import SshTarget


def remote_host(target: SshTarget, *, read_only: bool = False) -> Host:
    raise HostUnavailable(f"remote hosts are not written yet ({target.name})")
