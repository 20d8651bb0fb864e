"""Images without a bus: name and size checks before anything is sent, transfer arithmetic.

Owns what machined would refuse, said before asking it: :mod:`.names`
(image names by the rules a machine's name must follow, systemd's size
syntax for image limits, the ``machinectl`` command line each image action
equals); the progress of an import or export (bytes done, rate over a
sliding window, time left) in :mod:`.progress`; and the counting copy loops
that feed importd through a pipe or drain it into a new file, in
:mod:`.pump`.  It may import :mod:`nspawn_tui.host.images`,
:mod:`nspawn_tui.units` and :mod:`nspawn_tui.safe`; never Textual, never
D-Bus.  The UI may import it.
"""
