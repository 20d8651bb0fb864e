"""Per-container network figures: netlink on the host, the container's own view inside.

Owns :mod:`.reader` (:class:`~.reader.NetworkReader`: a sweep of every
running machine's mode and rates, one link-table dump kept current by link
notifications plus one stats dump, matched to machines through the veth
peer's link-netns; and one machine's detail), :mod:`.iproute` (the detail's
reads with pyroute2), :mod:`.netlink` (a small hand-made NETLINK_ROUTE
socket: dumps, requests, notifications), :mod:`.links` (its messages turned
into typed records, pure), :mod:`.namespace` (a leader's network namespace:
host or not, its id, a socket made inside it), :mod:`.inside` (what a
container sees of its interfaces), :mod:`.procnet` (``/proc/PID/net/dev``)
and :mod:`.rates` (per-link rates with counter resets).

Which netlink reads use pyroute2, and which are hand-made:

- pyroute2 (``IPRoute``, imported at the first detail, in its worker
  thread, never at start: the import costs 150-190 ms): everything one
  machine's detail reads that the sweep does not already have, i.e. its host
  links read again by index (kind, state, MAC, bridge name, counters) and,
  on a socket made inside its namespace, its own links and addresses.  A few
  links each time: 3-4 ms a detail.
- hand-made (:mod:`.netlink`, :mod:`.links`): what the sweep reads at every
  poll or for every link at once, i.e. the stats dump (``RTM_GETSTATS``),
  the link-table dump and the link notifications, and the namespace ids
  (``RTM_GETNSID``).  Measured on 1,000 veth links: pyroute2's ``ifinfmsg``
  decodes the messages of one table dump in 160-380 ms (182 ms in the last
  bench; trimmed to the seven attributes read, still 160 ms: every attribute
  of every message becomes an object), the hand-made decoder the same
  messages in 14-21 ms; a burst of 1,000 link notifications costs the same
  per link; ``IPRoute.get_links()`` takes 520 ms.  The sweep (stats dump and
  matching) takes 2.7 ms, against 39 ms for ``ip -s -j link``, its target.
  ``benchmarks/bench_net_sweep.py`` measures all of these in one run.

It may import pyroute2 (lazily, in the functions that need it), the Host's
types that it fills (:mod:`nspawn_tui.host.base`,
:mod:`nspawn_tui.host.events`, :mod:`nspawn_tui.host.images`,
:mod:`nspawn_tui.host.network`, :mod:`nspawn_tui.host.processes`) and
:mod:`nspawn_tui.safe`; never Textual, never D-Bus.
"""
