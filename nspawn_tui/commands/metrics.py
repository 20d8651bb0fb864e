"""``nspawn-tui export [--listen ADDRESS:PORT]``: the fleet's figures for Prometheus.

(stub: filled by the exporter work)
"""

from __future__ import annotations

import argparse

from nspawn_tui.host.base import Host, HostError


async def serve(host: Host, args: argparse.Namespace) -> int:
    raise HostError("the metrics exporter is not written yet")
