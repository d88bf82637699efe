"""`python -m sync.central_sim --db FILE --port N --device-secret-file F`: the sim as a server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from common.secret_files import CredentialError
from sync.central_sim.app import create_app
from sync.credentials import read_device_secret


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="central-sim", description="Serve the reference central sync service on loopback."
    )
    parser.add_argument("--db", type=Path, required=True, help="the sim's SQLite file (created if missing)")
    parser.add_argument("--port", type=int, default=8470, help="loopback port (0: any free port)")
    parser.add_argument(
        "--device-secret-file",
        type=Path,
        required=True,
        help="file (mode 0600) holding the secret every device signs with",
    )
    args = parser.parse_args(argv)
    try:
        secret = read_device_secret(args.device_secret_file)
    except CredentialError as error:
        print(f"central-sim: {error}", file=sys.stderr)
        return 2
    app = create_app(args.db, secrets=secret)
    # Loopback only: the admin endpoints carry no authentication.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
