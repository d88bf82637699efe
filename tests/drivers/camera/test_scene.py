"""The scene camera: scripted, deterministic door sequences that speak the Camera interface."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from drivers.camera import open_camera
from drivers.camera.scene import Actor, Pose, SceneCameraConfig, SceneRenderer, SceneScript, SceneScriptError


def write_script(tmp_path: Path, photo: Path, **extra: object) -> Path:
    lines = [f"{k} = {v}" for k, v in {"fps": 10, "duration_s": 1.0, **extra}.items()]
    script = tmp_path / "scene.toml"
    script.write_text("\n".join(lines) + f'\n[[actors]]\nphoto = "{photo}"\nenter_s = 0.2\nleave_s = 0.6\n')
    return script


def test_renders_the_script_deterministically(grace_photo: Path) -> None:
    script = SceneScript(duration_s=1.0, fps=10, actors=[Actor(photo=grace_photo, enter_s=0.2, leave_s=0.6)])
    first, second = SceneRenderer(script), SceneRenderer(script)
    assert first.frame_count == 10
    for index in range(10):
        np.testing.assert_array_equal(first.render(index), second.render(index))


def test_actor_is_in_view_only_between_enter_and_leave(grace_photo: Path) -> None:
    script = SceneScript(
        duration_s=1.0, fps=10, noise=0, actors=[Actor(photo=grace_photo, enter_s=0.2, leave_s=0.6)]
    )
    renderer = SceneRenderer(script)
    empty = renderer.render(0)
    assert (empty == np.array(script.background, np.uint8)).all()
    assert not (renderer.render(3) == empty).all()
    assert (renderer.render(7) == empty).all()
    assert renderer.render(3).shape == (480, 640, 3)


def test_camera_yields_timestamped_frames_and_ends(grace_photo: Path, tmp_path: Path) -> None:
    camera = open_camera(SceneCameraConfig(script=write_script(tmp_path, grace_photo), realtime=False))
    before = time.time()
    frames = list(camera.frames(threading.Event()))
    assert [f.seq for f in frames] == list(range(1, 11))
    assert all(before <= f.captured_at <= time.time() for f in frames)
    assert frames[0].width == 640 and frames[0].height == 480


@pytest.mark.slow
def test_realtime_paces_at_the_scripted_rate(grace_photo: Path, tmp_path: Path) -> None:
    camera = open_camera(SceneCameraConfig(script=write_script(tmp_path, grace_photo, fps=20), realtime=True))
    frames = list(camera.frames(threading.Event()))
    span = frames[-1].monotonic - frames[0].monotonic
    assert span >= 19 / 20 * 0.95  # 20 frames at 20 fps span 0.95 s


def test_loop_repeats_until_stopped(grace_photo: Path, tmp_path: Path) -> None:
    camera = open_camera(
        SceneCameraConfig(script=write_script(tmp_path, grace_photo), realtime=False, loop=True)
    )
    stop = threading.Event()
    seen = 0
    for _ in camera.frames(stop):
        seen += 1
        if seen == 25:
            stop.set()
    assert seen == 25


def test_relative_photo_paths_resolve_beside_the_script(grace_photo: Path, tmp_path: Path) -> None:
    (tmp_path / "faces").mkdir()
    (tmp_path / "faces" / "p.jpg").write_bytes(grace_photo.read_bytes())
    script = write_script(tmp_path, Path("faces/p.jpg"))
    assert SceneScript.from_toml(script).actors[0].photo == tmp_path / "faces" / "p.jpg"


def test_a_missing_photo_fails_at_open_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(SceneScriptError, match=r"scene photo .*nope.jpg: no such file$"):
        open_camera(SceneCameraConfig(script=write_script(tmp_path, tmp_path / "nope.jpg")))


def test_a_script_that_cannot_be_played_is_one_line_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(SceneScriptError) as refused:
        SceneScript.from_toml(missing)
    assert str(refused.value) == f"scene script {missing}: no such file"
    broken = tmp_path / "broken.toml"
    broken.write_text("fps = 15\nduration_s = = 3\n")
    with pytest.raises(SceneScriptError, match=r"broken.toml: not valid TOML \(.*line 2"):
        SceneScript.from_toml(broken)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("duration_s = -1\n")
    with pytest.raises(SceneScriptError) as refused:
        SceneScript.from_toml(wrong)
    assert str(refused.value) == f"scene script {wrong}: duration_s: Input should be greater than 0"
    wrong.write_text("duration_s = 3\nactors = 3\n")
    with pytest.raises(SceneScriptError) as refused:
        SceneScript.from_toml(wrong)
    assert str(refused.value) == f"scene script {wrong}: actors: Input should be a valid list"


def test_an_actor_must_leave_after_entering(grace_photo: Path) -> None:
    with pytest.raises(ValidationError, match="leave_s must be after enter_s"):
        Actor(photo=grace_photo, enter_s=2, leave_s=1)


def test_an_oval_actor_keeps_the_face_and_fades_into_the_background(grace_photo: Path) -> None:
    def frame(shape: str) -> np.ndarray:
        actor = Actor(
            photo=grace_photo, enter_s=0.0, leave_s=1.0, start=Pose(height=0.8), end=Pose(height=0.8)
        )
        script = SceneScript(
            duration_s=1.0, fps=10, noise=0, actors=[actor.model_copy(update={"shape": shape})]
        )
        return SceneRenderer(script).render(5)

    rectangle, oval = frame("rectangle"), frame("oval")
    background = np.array(SceneScript(duration_s=1.0).background, np.uint8)
    sprite_h = int(0.8 * 480)
    top = 240 - sprite_h // 2
    # The middle, where the face is, is the photo itself; the sprite's corners are the empty doorway.
    np.testing.assert_array_equal(oval[200:280, 300:340], rectangle[200:280, 300:340])
    assert (oval[top + 2, 240:250] == background).all()
    assert not (rectangle[top + 2, 240:250] == background).all()
    # The edge is feathered: between the photo and the background, not a hard step.
    row = oval[240].astype(int)
    edge = np.flatnonzero((row != background).any(axis=1))
    assert edge.size and not (rectangle[240] == background).all()
    blended = [x for x in range(edge[0], edge[0] + 8) if (row[x] != rectangle[240, x]).any()]
    assert len(blended) >= 3
