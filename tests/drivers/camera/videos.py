"""Recorded door videos for tests: a scene script rendered frame by frame into a real video file, as a
door camera's recording would be (MJPG in AVI, which every OpenCV build can write and read)."""

from __future__ import annotations

from pathlib import Path

import cv2

from drivers.camera.scene import SceneRenderer, SceneScript


def record(script: SceneScript, path: Path) -> Path:
    """`path`, holding `script` at its own frame rate and size."""
    renderer = SceneRenderer(script)
    size = (script.width, script.height)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), script.fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {path}"
    try:
        for index in range(renderer.frame_count):
            writer.write(renderer.render(index))
    finally:
        writer.release()
    return path


def record_toml(script: Path, path: Path) -> Path:
    return record(SceneScript.from_toml(script), path)
