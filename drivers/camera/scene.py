"""A scripted camera: door sequences composed from still photos, for tests, benchmarks and the demo.

A script places each actor's photo on a plain background along a straight path, growing as the
person walks towards the door camera. It speaks the same `Camera` interface as a real device, at
the scripted frame rate, so the daemon cannot tell the difference.
"""

from __future__ import annotations

import functools
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import Field, ValidationError, model_validator

from common.sections import Section
from drivers.camera.base import Frame, Image


class Pose(Section):
    """Where the photo's centre sits (fractions of the frame) and how tall it is (fraction of height)."""

    x: float = Field(0.5, ge=-0.5, le=1.5)
    y: float = Field(0.5, ge=-0.5, le=1.5)
    height: float = Field(0.5, gt=0, le=3.0)


class Actor(Section):
    photo: Path
    crop: tuple[int, int, int, int] | None = Field(
        None, description="left, top, right, bottom in photo pixels: keep one face of a group photo."
    )
    enter_s: float = Field(ge=0)
    leave_s: float = Field(gt=0)
    start: Pose = Pose(height=0.3)
    end: Pose = Pose(height=0.7)
    blur_px: float = Field(0.0, ge=0, description="Gaussian blur sigma, as motion or focus blur.")
    brightness: float = Field(1.0, gt=0, description="Gain applied to the photo: < 1 darker, > 1 brighter.")
    shape: Literal["rectangle", "oval"] = Field(
        "rectangle", description="oval: a soft-edged ellipse, so people can stand close without a hard edge."
    )

    @model_validator(mode="after")
    def _leaves_after_entering(self) -> Actor:
        if self.leave_s <= self.enter_s:
            raise ValueError("leave_s must be after enter_s")
        return self


class SceneScript(Section):
    width: int = Field(640, gt=0)
    height: int = Field(480, gt=0)
    fps: float = Field(15.0, gt=0)
    duration_s: float = Field(gt=0)
    background: tuple[int, int, int] = (92, 98, 104)
    noise: float = Field(2.0, ge=0, description="Sensor noise standard deviation, in grey levels.")
    seed: int = 0
    actors: list[Actor] = Field(default_factory=list)

    @classmethod
    def from_toml(cls, path: Path) -> SceneScript:
        """The script at `path`; a `SceneScriptError` (one line) when it cannot be one."""
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise SceneScriptError(f"scene script {path}: {_os_reason(exc)}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SceneScriptError(f"scene script {path}: not valid TOML ({exc})") from None
        actors = data.get("actors")
        for actor in actors if isinstance(actors, list) else []:  # anything else: the model says what
            if isinstance(actor, dict) and "photo" in actor and not Path(str(actor["photo"])).is_absolute():
                actor["photo"] = str(path.parent / str(actor["photo"]))
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(top level)"
            more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            raise SceneScriptError(f"scene script {path}: {where}: {first['msg']}{more}") from None


class SceneScriptError(ValueError):
    """A scene script that cannot be played: one line naming the file and what is wrong."""


def _os_reason(exc: OSError) -> str:
    return "no such file" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))


class SceneCameraConfig(Section):
    type: Literal["scene"] = "scene"
    script: Path = Field(description='TOML scene script (its format: README, "The scene camera\'s script").')
    realtime: bool = Field(True, description="Pace frames at the script's fps, as a live camera would.")
    loop: bool = Field(False, description="Start over when the script ends instead of ending the stream.")


def _load_photo(actor: Actor) -> Image:
    if not actor.photo.is_file():  # asked first: OpenCV would print its own warning on the way
        raise SceneScriptError(f"scene photo {actor.photo}: no such file")
    image = cv2.imread(str(actor.photo), cv2.IMREAD_COLOR)
    if image is None:
        raise SceneScriptError(f"scene photo {actor.photo}: not an image OpenCV can read")
    if actor.crop is not None:
        left, top, right, bottom = actor.crop
        image = image[top:bottom, left:right]
    if actor.brightness != 1.0:
        image = cv2.convertScaleAbs(image, alpha=actor.brightness, beta=0)
    return np.ascontiguousarray(image)


class SceneRenderer:
    """Pure rendering: frame number in, picture out. No clock, no threads."""

    def __init__(self, script: SceneScript) -> None:
        self.script = script
        self._photos = [_load_photo(actor) for actor in script.actors]
        self._rng = np.random.default_rng(script.seed)
        self.frame_count = round(script.duration_s * script.fps)

    def actors_at(self, t: float) -> list[int]:
        return [i for i, a in enumerate(self.script.actors) if a.enter_s <= t < a.leave_s]

    def render(self, index: int) -> Image:
        script = self.script
        t = index / script.fps
        canvas = np.empty((script.height, script.width, 3), dtype=np.uint8)
        canvas[:] = script.background
        for i in self.actors_at(t):
            actor = script.actors[i]
            progress = (t - actor.enter_s) / (actor.leave_s - actor.enter_s)
            self._paste(canvas, self._photos[i], actor, progress)
        if script.noise > 0:
            noise = self._rng.normal(0.0, script.noise, canvas.shape)
            canvas = np.clip(canvas.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        return canvas

    def _paste(self, canvas: Image, photo: Image, actor: Actor, progress: float) -> None:
        def lerp(a: float, b: float) -> float:
            return a + (b - a) * progress

        frame_h, frame_w = canvas.shape[:2]
        target_h = max(2, int(lerp(actor.start.height, actor.end.height) * frame_h))
        target_w = max(2, int(photo.shape[1] * target_h / photo.shape[0]))
        interpolation = cv2.INTER_AREA if target_h < photo.shape[0] else cv2.INTER_LINEAR
        sprite = cv2.resize(photo, (target_w, target_h), interpolation=interpolation)
        if actor.blur_px > 0:
            sprite = cv2.GaussianBlur(sprite, (0, 0), actor.blur_px)
        cx = int(lerp(actor.start.x, actor.end.x) * frame_w)
        cy = int(lerp(actor.start.y, actor.end.y) * frame_h)
        left, top = cx - target_w // 2, cy - target_h // 2
        x0, y0 = max(0, left), max(0, top)
        x1, y1 = min(frame_w, left + target_w), min(frame_h, top + target_h)
        if x1 <= x0 or y1 <= y0:
            return
        visible = sprite[y0 - top : y1 - top, x0 - left : x1 - left]
        if actor.shape == "rectangle":
            canvas[y0:y1, x0:x1] = visible
            return
        alpha = _oval_alpha(target_w, target_h)[y0 - top : y1 - top, x0 - left : x1 - left, np.newaxis]
        behind = canvas[y0:y1, x0:x1].astype(np.float32)
        canvas[y0:y1, x0:x1] = (behind + alpha * (visible.astype(np.float32) - behind)).astype(np.uint8)


# The oval leaves out the crop's corners (shoulders, background), keeping the head whole: its width is
# a share of the head-and-shoulders crop that covers the face (the middle third) and a little of the hair.
OVAL_WIDTH_SHARE = 0.6
OVAL_FEATHER = 0.12  # the edge fades over this share of the radius, as a real outline blurs


@functools.lru_cache(maxsize=256)
def _oval_alpha(width: int, height: int) -> npt.NDArray[np.float32]:
    """Opacity 1 inside a centred ellipse, fading to 0 at its edge; cached per size (faces grow slowly)."""
    ys = (np.arange(height, dtype=np.float32) + 0.5 - height / 2) / (height / 2)
    xs = (np.arange(width, dtype=np.float32) + 0.5 - width / 2) / (width * OVAL_WIDTH_SHARE / 2)
    radius = np.sqrt(xs[np.newaxis, :] ** 2 + ys[:, np.newaxis] ** 2)
    return np.clip((1.0 - radius) / OVAL_FEATHER, 0.0, 1.0).astype(np.float32)


class SceneCamera:
    waiting_for_source = False  # a script is always there
    problem: str | None = None  # one that cannot be read fails at open instead

    def __init__(
        self,
        config: SceneCameraConfig,
        clock: Callable[[], float] = time.time,
        script: SceneScript | None = None,
    ) -> None:
        """`script`, when given, is used instead of reading `config.script` (benchmarks build their own)."""
        self._config = config
        self._renderer = SceneRenderer(script or SceneScript.from_toml(config.script))
        self._clock = clock

    def describe(self) -> str:
        return f"scene:{self._config.script.name}"

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        period = 1.0 / self._renderer.script.fps
        seq = 0
        while not stop.is_set():
            started = time.monotonic()
            for index in range(self._renderer.frame_count):
                if stop.is_set():
                    return
                if self._config.realtime:
                    # Pace against the schedule, not the previous frame, so rendering time never drifts it.
                    wait = started + index * period - time.monotonic()
                    if wait > 0:
                        stop.wait(wait)
                image = self._renderer.render(index)
                seq += 1
                yield Frame(image=image, seq=seq, captured_at=self._clock(), monotonic=time.monotonic())
            if not self._config.loop:
                return
