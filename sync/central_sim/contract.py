"""The contract document, generated from the served app: `python -m sync.central_sim.contract` rewrites
sync/openapi.json, and a test fails while the committed file differs from what the app serves."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from sync.central_sim.app import create_app

DOCUMENT = Path(__file__).resolve().parents[1] / "openapi.json"


def generated() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(Path(scratch) / "contract.db", secrets={})
        document: dict[str, Any] = app.openapi()
        app.state.db.close()
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> int:
    DOCUMENT.write_text(render(generated()))
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
