"""``python -m heze_hub.sandbox``: the same as ``hub sandbox``."""

import sys

from .runner import main

sys.exit(main())
