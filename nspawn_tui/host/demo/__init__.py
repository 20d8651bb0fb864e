"""The simulated host for ``--demo``, the tests and the screenshots.

Owns :mod:`.host` (:class:`~.host.DemoHost`), :mod:`.sim` (machines and
their figures over simulated time, seeded), :mod:`.journal` (simulated
journals), :mod:`.actions` (lifecycle, limits and settings on the
simulation), :mod:`.shell` (a small shell on a real PTY),
:mod:`.network` (veth, zone and host-networked traffic), :mod:`.processes`
and :mod:`.images` (simulated processes, images and transfers, checked
with :mod:`nspawn_tui.images`), :mod:`.create` (a simulated creation
through :mod:`nspawn_tui.create`).  What the dashboard's first frame does
not need loads when first used: :mod:`.process_tree` (the processes' trees
and shares), :mod:`.transfer` (an import or export in progress), the
journal, the shell and the limits' parsers.  It may import
:mod:`nspawn_tui.host.base`, :mod:`nspawn_tui.journal`,
:mod:`nspawn_tui.nspawn` and :mod:`nspawn_tui.units`; never Textual.  Only
``cli.py`` (and tests) import it.
"""
