"""Per-container network figures: netlink on the host, the container's own view inside.

Owns :mod:`.reader` (:class:`~.reader.NetworkReader`: a sweep of every
running machine's mode and rates, one link-table dump kept current by link
notifications plus one stats dump, matched to machines through the veth
peer's link-netns; and one machine's detail), :mod:`.netlink` (a small
NETLINK_ROUTE socket: dumps, requests, notifications), :mod:`.links` (its
messages turned into typed records, pure), :mod:`.namespace` (a leader's
network namespace: host or not, its id, a socket made inside it),
:mod:`.inside` (what a container sees of its interfaces), :mod:`.procnet`
(``/proc/PID/net/dev``) and :mod:`.rates` (per-link rates with counter
resets).  It may import pyroute2 (measured, and not needed: its generic
decoder costs 0.5 s per 1,000 links), the Host's types that it fills
(:mod:`nspawn_tui.host.base`, :mod:`nspawn_tui.host.events`,
:mod:`nspawn_tui.host.images`, :mod:`nspawn_tui.host.network`,
:mod:`nspawn_tui.host.processes`) and :mod:`nspawn_tui.safe`; never
Textual, never D-Bus.
"""
