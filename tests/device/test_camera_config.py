"""The `[camera]` table as a field engineer meets it: switching types in the shipped config is one
line, and the README's camera how-tos are configs `config check` accepts and cameras that play."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest

from device.cli import main
from device.config_file import ConfigError, load_config
from drivers.camera import open_camera
from drivers.camera.opencv_source import OpenCVCameraConfig
from drivers.camera.registry import CAMERA_TYPES
from drivers.camera.scene import SceneCameraConfig, SceneRenderer, SceneScript
from tests.conftest import REPO
from tests.drivers.camera.videos import record

SHIPPED = REPO / "config" / "branchdoor.toml"
README = REPO / "README.md"
TYPE_LINE = re.compile(r'^type = "opencv"$', re.M)


def config_check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The file's own keys and values: this machine has no kiosk's key, secrets or branch id."""
    code = main(["config", "check", "--file-only", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def readme_toml_after(heading: str) -> str:
    """The first ```toml block after a bold paragraph heading of the README."""
    text = README.read_text()
    start = text.index(f"**{heading}**")
    found = re.compile(r"```toml\n(.*?)```", re.S).search(text, start)
    assert found is not None, f"README.md has no TOML example after {heading}"
    return found.group(1)


@pytest.mark.parametrize("kind", CAMERA_TYPES)
def test_switching_the_shipped_config_to_any_camera_type_is_one_line(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #15: `type = "scene"` in the shipped config failed on every key of the opencv camera."""
    text = SHIPPED.read_text()
    assert len(TYPE_LINE.findall(text)) == 1, "the shipped [camera] type line moved"
    switched = tmp_path / "branchdoor.toml"
    switched.write_text(TYPE_LINE.sub(f'type = "{kind}"', text))
    code, out, err = config_check(switched, capsys)
    assert (code, err) == (0, ""), err
    assert f"camera {kind})" in out


def test_a_key_no_camera_type_has_is_still_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "branchdoor.toml"
    path.write_text(
        '[branch]\nid = "b1"\n[camera]\ntype = "scene"\nscript = "s.toml"\nwidth = -5\nlop = true\n'
    )
    code, _, err = config_check(path, capsys)
    assert code == 1
    # `width` is the opencv camera's (ignored here, whatever it says); `lop` is no camera's.
    expected = "unknown key (did you mean 'loop'?); expected one of: type, script, realtime, loop"
    assert err.splitlines() == [f"{path}:7: camera.lop: {expected}"]


def test_the_chosen_types_keys_are_still_checked(tmp_path: Path) -> None:
    path = tmp_path / "branchdoor.toml"
    path.write_text('[branch]\nid = "b1"\n[camera]\ntype = "opencv"\nscript = "s.toml"\nwidth = -5\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert refused.value.problems == [f"{path}:6: camera.width: Input should be greater than 0 (got -5)"]


def test_the_readme_replay_of_a_recorded_door_is_accepted_and_plays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snippet = readme_toml_after("Replaying a recorded door.")
    named = re.search(r'^source = "([^"]+)"', snippet, re.M)
    assert named is not None, snippet
    # The README's file, recorded here: a few frames of a door at 200 fps, so the test is quick.
    script = SceneScript(duration_s=0.05, fps=200.0, width=320, height=240)
    video = record(script, tmp_path / Path(named.group(1)).name)
    path = tmp_path / "branchdoor.toml"
    path.write_text(snippet.replace(named.group(1), str(video)))
    code, out, err = config_check(path, capsys)
    assert (code, err) == (0, ""), err
    assert "camera opencv" in out
    camera = load_config(path).camera
    assert isinstance(camera, OpenCVCameraConfig) and camera.video_file == video and camera.at_end == "stop"
    frames = list(open_camera(camera).frames(threading.Event()))  # played once, then it stops
    assert len(frames) == 10 and frames[0].width == 320


def test_the_readme_scene_script_renders_and_the_shipped_config_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], grace_photo: Path
) -> None:
    """Issue #15: the scene camera's script format was documented nowhere a field engineer looks."""
    script = tmp_path / "door-scene.toml"
    script.write_text(readme_toml_after("The scene camera's script."))
    photo = SceneScript.from_toml(script).actors[0].photo
    assert photo.parent.parent == tmp_path, "the README says a photo path is relative to the script"
    photo.parent.mkdir()
    shutil.copy(grace_photo, photo)
    renderer = SceneRenderer(SceneScript.from_toml(script))
    assert renderer.frame_count == 135
    empty, grace_in_view = renderer.render(0), renderer.render(30)
    assert (abs(grace_in_view.astype(int) - empty.astype(int)) > 40).mean() > 0.05

    text = TYPE_LINE.sub('type = "scene"', SHIPPED.read_text())
    path = tmp_path / "branchdoor.toml"
    path.write_text(re.sub(r'^script = ".*"$', f'script = "{script}"', text, flags=re.M))
    code, _, err = config_check(path, capsys)
    assert (code, err) == (0, ""), err
    camera = load_config(path).camera
    assert isinstance(camera, SceneCameraConfig)
    frames = open_camera(camera.model_copy(update={"realtime": False})).frames(threading.Event())
    assert next(frames).image.shape == (480, 640, 3)
