"""Creating containers: bootstrap a tree, first-boot setup, a .nspawn file, enable, start.

Never imports Textual. Owns :mod:`.model`. May import the Host interface
(:mod:`nspawn_tui.host.base`, :mod:`nspawn_tui.host.images`), :mod:`nspawn_tui.nspawn`
(the settings model), :mod:`nspawn_tui.units` and :mod:`nspawn_tui.safe`. :mod:`.model` holds the plan and progress types the UI
and the ``create`` command share; the real work runs behind
``Host.create_container`` (``nspawn_tui.host.base``).
"""
