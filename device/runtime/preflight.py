"""What `branchdoor run` would refuse, found without starting anything.

`branchdoor config check` runs these once the file itself is valid; it is systemd's ExecStartPre=, so
a kiosk that cannot start stops there, one `file:line: key: what to do` line per problem, instead of
starting the daemon to meet the same refusal five times. Static only: files, their modes and the
values that name them. Nothing is created, no device is opened, nothing goes on the network: what a
restart may cure by itself (a camera or scanner unplugged, a broker or port not there yet) is never
a reason to refuse a start, and `branchdoor doctor` checks it live.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from common.secret_files import CredentialError, credential_source
from device.config import PLACEHOLDER_BRANCH_ID, Config
from device.mqtt.credentials import read_password, tls_context
from device.privacy.keys import key_path, read_key
from device.state.backups import Backups
from device.state.check import require_usable
from device.state.files import StateError, refusal, state_dir_problem
from device.state.sealing import TemplateKeyError
from device.state.templates import sealed_with
from drivers.camera.opencv_source import OpenCVCameraConfig
from drivers.camera.recording import file_problem
from drivers.camera.scene import SceneCameraConfig, SceneRenderer, SceneScript, SceneScriptError
from sync.credentials import read_device_secret

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    key: Key  # the setting it comes from, for `file:line: key:`
    what: str  # what is wrong and what to do, in one line


Check = Callable[[Config, Mapping[str, str]], Problem | None]


def branch_problem(config: Config, _environ: Mapping[str, str] = os.environ) -> Problem | None:
    """The shipped config's branch id: a kiosk running as it would send cues to no screen, or to
    another branch that forgot to change it too. `run` refuses it as well."""
    if config.branch.id != PLACEHOLDER_BRANCH_ID:
        return None
    return Problem(
        ("branch", "id"),
        f'"{PLACEHOLDER_BRANCH_ID}" is the shipped placeholder: set your branch\'s id (every MQTT topic '
        "carries it; it decides which teller screens receive this kiosk's cues)",
    )


def state_problem(config: Config, _environ: Mapping[str, str] = os.environ) -> Problem | None:
    folder = config.storage.state_dir
    said = state_dir_problem(folder)
    if said is None and (folder / "daemon.lock").is_dir():
        said = str(refusal(folder / "daemon.lock", IsADirectoryError(errno.EISDIR, ""), "instance lock"))
    if said is None and folder.is_dir():
        database = config.storage.database
        try:
            require_usable(database, Backups(database).newest())
        except StateError as exc:
            said = str(exc)
        except OSError as exc:  # the backups folder cannot be listed
            said = f"{exc.filename}: {exc.strerror}"
    return None if said is None else Problem(("storage", "state_dir"), said)


def key_problem(config: Config, environ: Mapping[str, str] = os.environ) -> Problem | None:
    """The template key: there, private, well-formed, and the one the database's templates are
    sealed with. Under systemd (ExecStartPre=) that is the credential the daemon will read."""
    path = key_path(config.privacy, dict(environ))
    try:
        cipher = read_key(path)
    except TemplateKeyError as exc:
        return Problem(("privacy", "template_key_file"), str(exc))
    database = config.storage.database
    try:
        held = sealed_with(database) if database.is_file() and database.stat().st_size else None
    except (OSError, sqlite3.Error):
        return None  # a database that cannot be read is the state check's to report
    if held is None or held == cipher.key_id:
        return None
    return Problem(
        ("privacy", "template_key_file"),
        f"{path} holds key {cipher.key_id}, but the templates in {database} were sealed with key {held}: "
        "use the key file the kiosk was set up with (after an interrupted `branchdoor keys rotate`, the "
        "new key is beside the old one as <file>.new)",
    )


def broker_credentials_problem(config: Config, _environ: Mapping[str, str] = os.environ) -> Problem | None:
    mqtt = config.mqtt
    try:
        if mqtt.username:
            read_password(mqtt.password_file)
    except CredentialError as exc:
        return Problem(("mqtt", "password_file"), str(exc))
    try:
        if mqtt.tls is not None:
            tls_context(mqtt.tls)
    except CredentialError as exc:
        return Problem(("mqtt", "tls"), str(exc))
    return None


def device_secret_problem(config: Config, environ: Mapping[str, str] = os.environ) -> Problem | None:
    if config.central is None:
        return None
    try:
        read_device_secret(credential_source(config.central.device_secret_file, environ))
    except CredentialError as exc:
        return Problem(("central", "device_secret_file"), str(exc))
    return None


def camera_problem(config: Config, _environ: Mapping[str, str] = os.environ) -> Problem | None:
    """A video file or scene script that is not there: a typo, not a camera unplugged (a missing
    /dev/video* is left to `doctor`: the daemon starts without it and waits for it)."""
    camera = config.camera
    if isinstance(camera, OpenCVCameraConfig):
        if camera.video_file is None:
            return None
        path, key = camera.video_file, ("camera", "source")
    else:
        path, key = camera.script, ("camera", "script")
    problem = file_problem(path)  # in the words the camera itself uses in the log and /healthz
    if problem is not None:
        return Problem(key, problem)
    if isinstance(camera, SceneCameraConfig):
        try:  # its photos too: what opening the camera at start reads
            SceneRenderer(SceneScript.from_toml(path))
        except SceneScriptError as exc:
            return Problem(key, str(exc))
    return None


# In the order `config check` reports them (each setting's line follows from its key).
CHECKS: tuple[tuple[str, Check], ...] = (
    ("branch id", branch_problem),
    ("camera", camera_problem),
    ("template key", key_problem),
    ("state", state_problem),
    ("broker credentials", broker_credentials_problem),
    ("device secret", device_secret_problem),
)


def problems(config: Config, environ: Mapping[str, str] = os.environ) -> list[Problem]:
    """Every reason `run` would refuse this config on this machine now; a check that fails in a way
    nobody foresaw is one more problem, naming itself, never a traceback."""
    found: list[Problem] = []
    for name, check in CHECKS:
        try:
            problem = check(config, environ)
        except Exception as exc:
            problem = Problem((), f"the {name} check failed: {type(exc).__name__}: {exc}")
        if problem is not None:
            found.append(problem)
    return found
