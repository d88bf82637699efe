"""`[recognition]`: how sure the open-set rule must be before it names anyone, and what it looks at."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from common.sections import Section


class RecognitionConfig(Section):
    tolerance: float = Field(
        0.5,
        gt=0.0,
        le=0.55,
        description="Largest face distance accepted as a match. 0.6 (the library default) names 5% of "
        "strangers on real photos; 0.5 named none.",
    )
    margin: float = Field(
        0.06, ge=0.0, le=0.3, description="The nearest other customer must be at least this much further."
    )
    min_votes: int = Field(
        2, ge=1, le=10, description="Agreeing encodings of one person needed to name them."
    )
    attempts_per_track: int = Field(
        4, ge=1, le=20, description="Encodings tried per person at one face size before giving up."
    )
    more_attempts_as_face_grows: bool = Field(
        True,
        description="A face 15% larger than at every earlier try earns fresh attempts (false: "
        "attempts_per_track for the whole track, fewer encodings but more customers missed).",
    )
    min_face_px: int = Field(
        64,
        ge=20,
        le=1000,
        description="Faces smaller than this (full-frame pixels) are tracked, not encoded.",
    )
    scan_min_face_px: int = Field(
        56, ge=20, le=1000, description="Smallest face looked for where the picture changed."
    )
    scan_interval_s: float = Field(
        0.2, gt=0, le=5, description="How often changed areas are searched for new faces."
    )
    detect_width: int = Field(
        320,
        ge=160,
        le=1920,
        description="Width for whole-frame detection, used when most of the frame changed.",
    )
    upsample: int = Field(1, ge=0, le=2, description="HOG upsampling for whole-frame detection.")
    track_timeout_s: float = Field(
        1.0, gt=0, le=60, description="A track unseen this long has left the view."
    )
    encoder: Literal["auto", "inline", "process"] = Field(
        "auto", description="Encode faces in a worker process (auto: when more than one core is usable)."
    )

    @model_validator(mode="after")
    def _votes_fit_attempts(self) -> RecognitionConfig:
        if self.min_votes > self.attempts_per_track:
            raise ValueError("min_votes cannot exceed attempts_per_track")
        return self
