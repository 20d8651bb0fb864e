"""A fleet: several hosts (this machine and remote ones over SSH) as one Host.

Owns :mod:`.hostsfile` (the hosts of the config file and of ``--host``),
:mod:`.names` (a machine's fleet name ``HOST/NAME``), :mod:`.host`
(:class:`~.host.FleetHost`: routes every call to the host of the machine),
:mod:`.poller` (polls each host concurrently, never two polls of one host at
once, marks a host that is down or slow with the reason and reconnects it with
back-off) and :mod:`.logs` (the journals of several hosts merged).

Never imports Textual or a Host implementation (``cli.py`` builds the hosts).
May import: the Host interface and its types (nspawn_tui.host.base,
nspawn_tui.host.events, nspawn_tui.host.images, nspawn_tui.host.network,
nspawn_tui.host.processes, and the creation types nspawn_tui.create.model:
containers are created on the fleet's ``local`` member only), nspawn_tui.journal, nspawn_tui.remote.target,
nspawn_tui.safe.
"""
