"""Remote hosts over plain SSH: what ``machinectl -H HOST`` reaches, with nothing installed there.

Owns the SSH destination (:mod:`.target`), ssh's error messages in words
(:mod:`.errors`), the D-Bus transport through ``ssh HOST systemd-stdio-bridge``
(:mod:`.transport`), one long-lived remote ``sh`` answering batched file reads
(:mod:`.shell`), the metrics read from systemd's unit accounting or those
reads (:mod:`.metrics`), the host's own CPU and memory from its /proc
(:mod:`.stats`), the shell attach through ``ssh -t HOST machinectl``
(:mod:`.attach`), and the factory that fills a machined host's seams with
them (:mod:`.host`).

Never imports Textual. May import: the Host interface and its types
(nspawn_tui.host.base, nspawn_tui.host.events, nspawn_tui.host.images,
nspawn_tui.host.network, nspawn_tui.host.processes), the machined host and
its seams (nspawn_tui.host.machined), nspawn_tui.dbus (the bus itself), nspawn_tui.host.hoststats,
nspawn_tui.cgroups, nspawn_tui.units, nspawn_tui.safe; dbus_next.
"""
