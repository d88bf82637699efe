"""What /healthz says of a camera that gives no frames: why, in the driver's words."""

from __future__ import annotations

from pathlib import Path

from device.checkin.desk import CheckinDesk
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine
from device.recognition.pipeline import Pipeline
from device.recognition.recognizer import Recognizer
from device.runtime.observability import Parts, health
from device.state.store import Store
from drivers.camera import open_camera
from drivers.camera.opencv_source import OpenCVCameraConfig
from tests.identity import IDENTITY
from tests.keys import CIPHER
from tests.waiting import eventually


def test_a_missing_video_file_is_named_in_health(tmp_path: Path) -> None:
    """Issue #15: a missing file was "camera: no frames", read as an unplugged camera."""
    video = tmp_path / "door.mp4"
    store = Store(tmp_path / "s.db", CIPHER)
    pipeline = Pipeline(
        open_camera(OpenCVCameraConfig(source=str(video), reconnect_min_s=0.1, reconnect_max_s=0.5)),
        lambda gallery: Recognizer(FaceEngine(), RecognitionConfig(), gallery),
        store,
        CheckinDesk(store, "b1", "door-1", 60),
        on_checkin=lambda _checkin: None,
    )
    link = MqttLink(MqttConfig(), Topics("branchdoor", "b1", "door-1"), client_id="camera-health-test")
    parts = Parts(pipeline, link, store, identity=IDENTITY)
    pipeline.start()
    try:
        expected = f"camera: no frames (no such file: {video})"
        assert eventually(lambda: expected in health(parts)["problems"]), health(parts)
        assert health(parts)["status"] == "degraded"
    finally:
        pipeline.stop()
        store.close()
