"""Images without a bus: name and size checks before anything is sent, transfer arithmetic.

Owns what machined would refuse, said before asking it (image names,
systemd's size syntax for limits), and progress of an import or export
(bytes done, rate, time left) from bytes counted through a pipe.  It may
import :mod:`nspawn_tui.host.images`, :mod:`nspawn_tui.units` and
:mod:`nspawn_tui.safe`; never Textual, never D-Bus.  The UI may import it.
"""
