import sys

from nspawn_tui.cli import main

sys.exit(main())
