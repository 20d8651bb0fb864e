"""The Prometheus exporter: the latest sweep of a Host (one host or a fleet) as metrics.

Owns :mod:`.families` (the metric families made from a
:class:`~nspawn_tui.host.base.Snapshot`, a prometheus-client collector over
the latest sweep, and the table of metrics the README quotes) and
:mod:`.server` (``--listen`` parsing, the sweep loop, and prometheus-client's
HTTP server with the text and OpenMetrics formats).  A scrape formats the
latest sweep and does no other work.  Label values come from containers and
are cleaned (:mod:`nspawn_tui.safe`).

Never imports Textual or a Host implementation. May import: the Host
interface and its types (nspawn_tui.host.base, nspawn_tui.host.events,
nspawn_tui.host.images, nspawn_tui.host.network, nspawn_tui.host.processes),
nspawn_tui.fleet.names, nspawn_tui.safe; prometheus_client.
"""
