"""What this kiosk is, for a fleet of them: the software version, a digest of the configuration it
runs and the versions of the face models. Computed once at start and carried in every health message,
so head office can tell which of thousands of kiosks runs what without logging into any.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import face_recognition_models  # type: ignore[import-untyped]  # no types shipped

from device.config import Config
from device.recognition.encoder import resolved_kind

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class FleetIdentity:
    software_version: str
    config_hash: str
    models: dict[str, str]

    def as_health(self) -> dict[str, object]:
        return {
            "software_version": self.software_version,
            "config_hash": self.config_hash,
            "models": dict(self.models),
        }


def installed_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return UNKNOWN


def config_hash(config: Config) -> str:
    """A digest of the validated configuration, not of the file: a comment, a reordered table or a
    default written out changes nothing; a changed setting changes it. Secrets cannot leak into it:
    the configuration holds only the paths of secret files, never their contents."""
    effective = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(effective.encode()).hexdigest()


def model_versions(config: Config) -> dict[str, str]:
    # Templates made by one encoder model do not match another's: the model file's name is its version.
    model_file = Path(face_recognition_models.face_recognition_model_location()).stem
    return {
        "face_recognition_models": installed_version("face_recognition_models"),
        "face_recognition": installed_version("face_recognition"),
        "dlib": str(getattr(dlib, "__version__", UNKNOWN)),
        "opencv": str(cv2.__version__),
        "encoder": f"{model_file} ({resolved_kind(config.recognition.encoder)})",
    }


def fleet_identity(config: Config) -> FleetIdentity:
    return FleetIdentity(installed_version("branchdoor"), config_hash(config), model_versions(config))
