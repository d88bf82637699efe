"""Encoding in a worker process gives the templates the recognition thread would, and survives its loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from device.recognition.encoder import InlineEncoder, ProcessEncoder, make_encoder
from device.recognition.faces import FaceEngine, read_bgr
from drivers.camera.scene import Actor, Pose, SceneRenderer, SceneScript

pytestmark = pytest.mark.subprocess


def door_frame(photo: Path) -> np.ndarray:
    script = SceneScript(
        duration_s=1.0, actors=[Actor(photo=photo, enter_s=0, leave_s=1, start=Pose(height=0.6))]
    )
    return SceneRenderer(script).render(0)


def test_worker_templates_match_in_thread_templates(grace_photo: Path) -> None:
    image = door_frame(grace_photo)
    boxes = FaceEngine().detect(image)
    assert len(boxes) == 1
    worker = ProcessEncoder()
    try:
        remote = worker.encode(image, boxes)
    finally:
        worker.close()
    local = InlineEncoder().encode(image, boxes)
    assert len(remote) == 1
    # The worker sees only the face's surroundings; the aligned chip, and so the template, is the same.
    assert float(np.linalg.norm(remote[0] - local[0])) < 0.02


def test_a_dead_worker_falls_back_to_encoding_in_thread(grace_photo: Path) -> None:
    image = read_bgr(grace_photo)
    assert image is not None
    boxes = FaceEngine(detect_width=800).detect(image)
    worker = ProcessEncoder()
    worker._process.kill()
    worker._process.join(5)
    try:
        assert len(worker.encode(image, boxes)) == 1
    finally:
        worker.close()


def test_auto_uses_a_process_only_with_a_second_core(monkeypatch) -> None:
    monkeypatch.setattr("device.recognition.encoder.usable_cores", lambda: 1)
    assert isinstance(make_encoder("auto"), InlineEncoder)
    monkeypatch.setattr("device.recognition.encoder.usable_cores", lambda: 4)
    encoder = make_encoder("auto")
    try:
        assert isinstance(encoder, ProcessEncoder)
    finally:
        encoder.close()
