"""``python -m api serve`` is ``claimtrack serve``."""

import sys

from api.cli import main

if __name__ == "__main__":
    sys.exit(main())
