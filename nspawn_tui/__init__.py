"""nspawn-tui: a terminal dashboard for systemd-nspawn containers.

The top level holds only the entry points (``cli``, ``app``, ``__main__``);
everything else lives in a capability package whose docstring says what it
owns and what it may import (see docs/architecture.md).
"""

__version__ = "0.1.0"
