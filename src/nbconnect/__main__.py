"""``python -m nbconnect``: the same command line as the ``nbconnect`` script."""

import sys

from .cli import main

sys.exit(main())
