import sys

from device.cli import main

# Guarded: the encoder worker process is spawned, and spawning re-imports the main module.
if __name__ == "__main__":
    sys.exit(main())
