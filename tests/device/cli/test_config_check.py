"""`branchdoor config check` (systemd's ExecStartPre=) refuses what `branchdoor run` would refuse, each in
one `file:line: key: what to do` line, as the real command: the shipped placeholder branch id, the
template key, the device secret, the state, the broker's credentials, a video file or scene script that
is not there. What a restart may cure (a device unplugged, a port taken) is `doctor`'s, never a refusal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from device.privacy.keys import read_key, write_new_key
from device.state.store import Store
from tests.conftest import REPO
from tests.device.runtime.test_start_refusals import DAMAGE
from tests.device.state.kiosk_files import fill
from tests.keys import key_file

pytestmark = pytest.mark.subprocess  # every test runs the command


def branchdoor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, in a process group of its own (ended with it on a timeout)."""
    # Neither the caller's systemd credentials nor its unit path: each test sets what it means.
    base = {k: v for k, v in os.environ.items() if k not in ("CREDENTIALS_DIRECTORY", "SYSTEMD_UNIT_PATH")}
    return subprocess.run(
        [sys.executable, "-m", "device", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
        env={**base, **(env or {})},
    )


def kiosk(tmp_path: Path, extra: str = "", branch: str = "0427", state: Path | None = None) -> Path:
    """A config `run` could start with (its key made, its state folder free), plus `extra`."""
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "{branch}"\n'
        f'[storage]\nstate_dir = "{state or tmp_path / "state"}"\n'
        f'[privacy]\ntemplate_key_file = "{key_file(tmp_path)}"\n' + extra
    )
    return config


def check(config: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return branchdoor("config", "check", str(config), env=env)


def refused(config: Path, line: str, env: dict[str, str] | None = None) -> None:
    done = check(config, env)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", line + "\n")


def test_a_config_run_could_start_with_is_ok(tmp_path: Path) -> None:
    config = kiosk(tmp_path)
    done = check(config)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"{config}: OK (branch 0427, device door-1, camera opencv)\n",
        "",
    )


def test_the_shipped_placeholder_branch_id_is_refused_by_check_and_by_run(tmp_path: Path) -> None:
    config = kiosk(tmp_path, branch="CHANGE-ME")
    why = (
        '"CHANGE-ME" is the shipped placeholder: set your branch\'s id (every MQTT topic carries it; it '
        "decides which teller screens receive this kiosk's cues)"
    )
    refused(config, f"{config}:2: branch.id: {why}")
    run = branchdoor("run", "--config", str(config))
    assert (run.returncode, run.stderr) == (1, f"branchdoor: refusing to start: branch.id: {why}\n")
    assert not (tmp_path / "state").exists(), "run went on to make its state before refusing"


def test_the_shipped_config_asks_only_for_what_a_kiosk_must_fill_in(tmp_path: Path) -> None:
    """Beside a key where the unit hands it over, the shipped file's one problem is its branch id."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    write_new_key(credentials / "template-key")
    shipped = tmp_path / "branchdoor.toml"
    shipped.write_text(
        (REPO / "config" / "branchdoor.toml")
        .read_text()
        .replace('state_dir = "/var/lib/branchdoor"', f'state_dir = "{tmp_path / "state"}"')
    )
    done = check(shipped, {"CREDENTIALS_DIRECTORY": str(credentials)})
    assert done.returncode == 1 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f'{shipped}:10: branch.id: "CHANGE-ME" is the shipped placeholder')


def test_file_only_checks_the_file_alone(tmp_path: Path) -> None:
    config = tmp_path / "branchdoor.toml"
    config.write_text('[branch]\nid = "0427"\n[privacy]\ntemplate_key_file = "/nowhere/template-key"\n')
    done = branchdoor("config", "check", "--file-only", str(config))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{config}: OK (branch 0427, device door-1, camera opencv)\n"


def test_a_missing_template_key(tmp_path: Path) -> None:
    config = kiosk(tmp_path, "")
    missing = tmp_path / "no-such-key"
    config.write_text(config.read_text().replace(str(key_file(tmp_path)), str(missing)))
    refused(
        config,
        f"{config}:6: privacy.template_key_file: {missing}: cannot read the template key (No such file or "
        f"directory) (create one with `branchdoor keys new {missing}`)",
    )


def test_a_template_key_others_can_read(tmp_path: Path) -> None:
    config = kiosk(tmp_path)
    key_file(tmp_path).chmod(0o644)
    refused(
        config,
        f"{config}:6: privacy.template_key_file: {key_file(tmp_path)}: readable by group or others (mode "
        "644); chmod 600 (create one with `branchdoor keys new "
        f"{key_file(tmp_path)}`)",
    )


def test_under_systemd_the_key_checked_is_the_credential_the_daemon_reads(tmp_path: Path) -> None:
    """ExecStartPre= runs with $CREDENTIALS_DIRECTORY, as the daemon does: its template-key wins."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "template-key").write_text("z" * 64 + "\n")  # not hex
    (credentials / "template-key").chmod(0o400)
    config = kiosk(tmp_path)
    refused(
        config,
        f"{config}:6: privacy.template_key_file: {credentials / 'template-key'}: a template key file holds "
        "64 hex digits (`branchdoor keys new`)",
        {"CREDENTIALS_DIRECTORY": str(credentials)},
    )


def test_a_key_other_than_the_one_the_templates_were_sealed_with(tmp_path: Path) -> None:
    config = kiosk(tmp_path)
    other = tmp_path / "other" / "template-key"
    sealing = write_new_key(other)
    Store(tmp_path / "state" / "branchdoor.db", sealing).close()
    given = read_key(key_file(tmp_path))
    refused(
        config,
        f"{config}:6: privacy.template_key_file: {key_file(tmp_path)} holds key {given.key_id}, but the "
        f"templates in {tmp_path / 'state' / 'branchdoor.db'} were sealed with key {sealing.key_id}: use "
        "the key file the kiosk was set up with (after an interrupted `branchdoor keys rotate`, the new "
        "key is beside the old one as <file>.new)",
    )


@pytest.mark.parametrize("damage", DAMAGE)
def test_state_run_refuses_is_refused_with_run_s_own_words(tmp_path: Path, damage: str) -> None:
    """The same damage as tests/device/runtime/test_start_refusals.py, the same sentence as `run`'s."""
    state = tmp_path / "state"
    fill(state / "branchdoor.db", tmp_path, customers=40)
    named = DAMAGE[damage](state)
    before = named.read_bytes() if named.is_file() else None
    config = kiosk(tmp_path)
    done = check(config)
    assert done.returncode == 1 and done.stdout == "", done.stderr
    [line] = done.stderr.splitlines()
    prefix = f"{config}:4: storage.state_dir: "
    assert line.startswith(prefix) and str(named) in line, line
    run = branchdoor("run", "--config", str(config))
    assert run.stderr == f"branchdoor: refusing to start: {line.removeprefix(prefix)}\n"
    if before is not None:
        assert named.read_bytes() == before, "the damaged file was changed"


def test_a_state_dir_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file\n")
    config = kiosk(tmp_path, state=tmp_path / "plain" / "state")
    refused(
        config,
        f"{config}:4: storage.state_dir: state directory {tmp_path / 'plain' / 'state'}: cannot create it: "
        f"{tmp_path / 'plain'} is a file, not a directory",
    )


def test_a_missing_state_dir_and_its_parents_are_made_at_start_not_refused(tmp_path: Path) -> None:
    config = kiosk(tmp_path, state=tmp_path / "a" / "b" / "state")
    assert check(config).returncode == 0
    assert not (tmp_path / "a").exists(), "config check created something"


def device_secret(folder: Path, content: bytes = b"s" * 32, mode: int = 0o600) -> Path:
    path = folder / "device-secret"
    path.write_bytes(content)
    path.chmod(mode)
    return path


CENTRAL = '[central]\nurl = "https://central.bank.example"\ndevice_secret_file = "{}"\n'


@pytest.mark.parametrize(
    ("content", "mode", "why"),
    [
        (None, 0o600, "{path}: cannot read the device secret (No such file or directory)"),
        (b"", 0o600, "{path}: a device secret needs at least 32 bytes"),
        (b"s" * 32, 0o640, "{path}: readable by group or others (mode 640); chmod 600"),
    ],
    ids=["missing", "empty", "readable by the group"],
)
def test_the_device_secret(tmp_path: Path, content: bytes | None, mode: int, why: str) -> None:
    path = tmp_path / "device-secret" if content is None else device_secret(tmp_path, content, mode)
    config = kiosk(tmp_path, CENTRAL.format(path))
    refused(config, f"{config}:9: central.device_secret_file: {why.format(path=path)}")


def test_a_systemd_credential_is_checked_at_its_source_outside_the_unit(tmp_path: Path) -> None:
    """An engineer's `sudo branchdoor config check` while the unit is stopped: the credential path does
    not exist; the file the installed unit loads it from is what the daemon will get."""
    units = tmp_path / "units"
    units.mkdir()
    source = device_secret(tmp_path, b"")  # as `make install` leaves it: empty until provisioned
    unit = (REPO / "systemd" / "branchdoor.service").read_text()
    (units / "branchdoor.service").write_text(unit.replace("/etc/branchdoor/device-secret", str(source)))
    config = kiosk(tmp_path, CENTRAL.format("/run/credentials/branchdoor.service/device-secret"))
    refused(
        config,
        f"{config}:9: central.device_secret_file: {source}: a device secret needs at least 32 bytes",
        {"SYSTEMD_UNIT_PATH": str(units)},
    )
    source.write_bytes(b"s" * 32)
    assert check(config, {"SYSTEMD_UNIT_PATH": str(units)}).returncode == 0


def test_a_video_file_that_is_not_there(tmp_path: Path) -> None:
    video = tmp_path / "door.mp4"
    config = kiosk(tmp_path, f'[camera]\ntype = "opencv"\nsource = "{video}"\n')
    refused(config, f"{config}:9: camera.source: no such file: {video}")


def test_a_scene_script_that_is_not_there(tmp_path: Path) -> None:
    script = tmp_path / "scene.toml"
    config = kiosk(tmp_path, f'[camera]\ntype = "scene"\nscript = "{script}"\n')
    refused(config, f"{config}:9: camera.script: no such file: {script}")


def test_a_scene_script_whose_photo_is_not_there_is_refused_by_check_and_by_run(tmp_path: Path) -> None:
    script = tmp_path / "scene.toml"
    photo = tmp_path / "faces" / "grace.jpg"
    script.write_text('duration_s = 3\n[[actors]]\nphoto = "faces/grace.jpg"\nenter_s = 0\nleave_s = 2\n')
    config = kiosk(tmp_path, f'[camera]\ntype = "scene"\nscript = "{script}"\n')
    why = f"scene photo {photo}: no such file"
    refused(config, f"{config}:9: camera.script: {why}")
    run = branchdoor("run", "--config", str(config))
    assert (run.returncode, run.stderr) == (1, f"branchdoor: refusing to start: {why}\n")
    assert not (tmp_path / "state" / "branchdoor.db").exists(), "run made its database before the camera"


def test_a_camera_device_that_is_not_there_is_left_to_doctor(tmp_path: Path) -> None:
    """Unplugged at boot, a camera is waited for: the kiosk starts, its sensors and sync go on."""
    config = kiosk(tmp_path, '[camera]\ntype = "opencv"\nsource = "/dev/video-unplugged"\n')
    assert check(config).returncode == 0


def test_the_scanner_port_is_left_to_doctor(tmp_path: Path) -> None:
    config = kiosk(tmp_path, '[scanner]\nport = "/dev/ttyACM-unplugged"\n')
    assert check(config).returncode == 0


def test_the_broker_password_file(tmp_path: Path) -> None:
    password = tmp_path / "mqtt-password"
    config = kiosk(tmp_path, f'[mqtt]\nusername = "kiosk-0427"\npassword_file = "{password}"\n')
    refused(
        config,
        f"{config}:9: mqtt.password_file: {password}: cannot read the mqtt.password_file (No such file or "
        "directory)",
    )


def test_the_broker_tls_key(tmp_path: Path) -> None:
    tls = (
        '[mqtt]\nhost = "broker.branch.lan"\n[mqtt.tls]\n'
        f'ca_file = "{tmp_path}/ca.pem"\ncert_file = "{tmp_path}/kiosk.pem"\n'
        f'key_file = "{tmp_path}/kiosk.key"\n'
    )
    config = kiosk(tmp_path, tls)
    refused(
        config,
        f"{config}:9: mqtt.tls: {tmp_path}/kiosk.key: cannot read the mqtt.tls.key_file (No such file or "
        "directory)",
    )


def test_every_problem_is_reported_at_once_in_the_file_s_order(tmp_path: Path) -> None:
    password = tmp_path / "mqtt-password"
    config = kiosk(
        tmp_path,
        f'[camera]\ntype = "scene"\nscript = "{tmp_path}/scene.toml"\n'
        f'[mqtt]\nusername = "kiosk"\npassword_file = "{password}"\n',
        branch="CHANGE-ME",
    )
    key_file(tmp_path).chmod(0o640)
    done = check(config)
    assert done.returncode == 1
    keys = [line.split(": ")[0].split(":", 1)[1] for line in done.stderr.splitlines()]
    assert keys == ["2", "6", "9", "12"], done.stderr  # branch, key, camera, broker: in the file's order
