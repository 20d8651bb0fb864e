"""Textual screens, one per module: the dashboard and everything it opens.

Owns what the user sees full-screen or as a modal: the dashboard (and its
actions), the journal view, the record view, help, confirmations, the kill
picker, the shell prompt, the limits and settings editors, the export
prompt, the processes and images screens, the create form and its progress
view; the modals' base (``modal``); and the compositors the screens draw
with (``span_compositor``: the full screens' partial updates drawn from only
the widgets and lines under a change, and a map that marks where a widget
removed after a scroll was, for every screen).  It may
import Textual,
:mod:`nspawn_tui.widgets`, :mod:`nspawn_tui.view`, :mod:`nspawn_tui.safe`,
the Host and the types of its answers (:mod:`nspawn_tui.host.base`, :mod:`nspawn_tui.host.events`,
:mod:`nspawn_tui.host.images`, :mod:`nspawn_tui.host.network`,
:mod:`nspawn_tui.host.processes`), :mod:`nspawn_tui.images` (checks
before sending), :mod:`nspawn_tui.journal`,
:mod:`nspawn_tui.nspawn`, :mod:`nspawn_tui.units`, :mod:`nspawn_tui.config`
(the user's settings), :mod:`nspawn_tui.create.model` (a creation's plan and
progress) and :mod:`nspawn_tui.create.firstboot` (the password's hash); never a concrete host
(``host.machined``, ``host.demo``), :mod:`nspawn_tui.cgroups` or D-Bus.
"""
