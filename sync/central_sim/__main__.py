"""`python -m sync.central_sim --db FILE --port N --master-secret-file F`: the sim as a server, each device
signing with its own secret derived from the master; `--print-device-secret ID` prints one for provisioning.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from common.secret_files import CredentialError, read_secret_file
from sync.central_sim.app import create_app
from sync.central_sim.device_keys import MasterSecret
from sync.signing import MIN_SECRET_BYTES


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="central-sim", description="Serve the reference central sync service on loopback."
    )
    parser.add_argument("--db", type=Path, help="the sim's SQLite file (created if missing); needed to serve")
    parser.add_argument("--port", type=int, default=8470, help="loopback port (0: any free port)")
    parser.add_argument(
        "--master-secret-file",
        type=Path,
        required=True,
        help="file (mode 0600) holding the master secret; each device's secret is derived from it and "
        "the device id, so no device can sign as another",
    )
    parser.add_argument(
        "--print-device-secret",
        metavar="DEVICE_ID",
        help="print that device's secret (for its device_secret_file, mode 0600) and exit",
    )
    args = parser.parse_args(argv)
    try:
        master = MasterSecret(read_secret_file(args.master_secret_file, "master secret", MIN_SECRET_BYTES))
    except CredentialError as error:
        print(f"central-sim: {error}", file=sys.stderr)
        return 2
    if args.print_device_secret is not None:
        print(master.for_device(args.print_device_secret).decode())
        return 0
    if args.db is None:
        parser.error("--db is needed to serve (or --print-device-secret DEVICE_ID to print a secret)")
    app = create_app(args.db, secrets=master)
    # Loopback only: the admin endpoints carry no authentication.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
