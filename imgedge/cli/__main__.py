"""``python -m imgedge.cli``: the same as the ``imgedge`` command."""

import sys

from .main import main

sys.exit(main())
