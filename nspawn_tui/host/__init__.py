"""Hosts: the one interface the UI talks to, and its implementations.

Owns :mod:`.base` (:class:`~.base.Host`, its data types and errors, the
read-only guard every mutating method passes, from :mod:`.mutating`), the types of its other
answers (:mod:`.events`, :mod:`.network`, :mod:`.processes`,
:mod:`.images`: transfers), :mod:`.hoststats` (the
host's own CPU and memory), :mod:`.machined` (the real host) and
:mod:`.demo` (the simulated one).  The UI imports :mod:`.base` only; only
``cli.py`` chooses an implementation; the UI may also import the answer
types.  :mod:`.base` may import
:mod:`nspawn_tui.journal` (the journal types a Host returns),
:mod:`nspawn_tui.create.model` (what a creation is asked and answers) and
:mod:`nspawn_tui.safe`, :mod:`.hoststats` psutil; never Textual.
"""
