"""`python -m drivers.emulators DEVICE`: see drivers/emulators/cli.py."""

from __future__ import annotations

import sys

from drivers.emulators.cli import main

if __name__ == "__main__":
    sys.exit(main())
