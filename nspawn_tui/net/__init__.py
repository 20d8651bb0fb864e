"""Per-container network figures: netlink (pyroute2) on the host, ``/proc/PID/net`` inside.

Owns the host-side link dump (one netlink dump per sweep, matched to
machines through the veth peer's link-netns), reads inside a container's
network namespace for machines on a private network, and the rates.  It
may import pyroute2, the Host's types that it fills (:mod:`nspawn_tui.host.base`, :mod:`nspawn_tui.host.events`,
:mod:`nspawn_tui.host.images`, :mod:`nspawn_tui.host.network`,
:mod:`nspawn_tui.host.processes`) and :mod:`nspawn_tui.safe`; never
Textual, never D-Bus.
"""
