"""``python -m hfrl`` is the ``hfrl`` command."""

import sys

from hfrl.cli import main

sys.exit(main())
