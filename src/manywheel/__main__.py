from __future__ import annotations

import sys

from manywheel.cli import main

if __name__ == "__main__":
    sys.exit(main())
