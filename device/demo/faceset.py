"""Where demo and test faces come from: a labeled set given in BRANCHDOOR_FACE_DATA, or public-domain
portraits that ship inside matplotlib and scikit-image. Photos are read in place, never copied."""

from __future__ import annotations

import csv
import importlib.util
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

FACE_DATA_ENV = "BRANCHDOOR_FACE_DATA"
DEFAULT_FACE_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "faces-dev"

# The astronaut photo also has a patch on her suit that HOG takes for a face: keep only her head.
ASTRONAUT_HEAD = (120, 20, 330, 240)


def _package_file(package: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / relative
    return path if path.exists() else None


def grace_hopper() -> Path | None:
    """Rear Admiral Grace Hopper's official portrait (US Navy, public domain), shipped by matplotlib."""
    return _package_file("matplotlib", "mpl-data/sample_data/grace_hopper.jpg")


def astronaut() -> Path | None:
    """Astronaut Eileen Collins (NASA, public domain), shipped by scikit-image."""
    return _package_file("skimage", "data/astronaut.png")


def face_data_dir(explicit_only: bool = False) -> Path | None:
    """The labeled set: $BRANCHDOOR_FACE_DATA, else ../shared/data/faces-dev (unless `explicit_only`)."""
    env = os.environ.get(FACE_DATA_ENV)
    if env:
        path = Path(env)
    elif explicit_only:
        return None
    else:
        path = DEFAULT_FACE_DATA.resolve()
    return path if (path / "labels.csv").exists() else None


@dataclass(frozen=True, slots=True)
class LabeledPhoto:
    path: Path
    identity: str


def read_labels(root: Path) -> dict[str, list[LabeledPhoto]]:
    """identity -> photos, in file order. `labels.csv` needs the columns `image` and `identity`."""
    by_identity: dict[str, list[LabeledPhoto]] = defaultdict(list)
    with (root / "labels.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            photo = root / row["image"]
            if photo.exists():
                by_identity[row["identity"]].append(LabeledPhoto(photo, row["identity"]))
    return dict(by_identity)
