"""The kiosk's database over a damaged day, with the daemon as a subprocess and a real Mosquitto: it keeps
a backup, a customer forgotten meanwhile is in no copy, and after a page is garbled the daemon refuses to
start until `state restore` brings back everyone else and the queued uploads."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from device.demo.broker import MosquittoBroker
from device.state.backups import Backups
from tests.device.state.kiosk_files import NAME, branchdoor, fill, garble_middle_page, held
from tests.e2e.daemon import Daemon
from tests.keys import privacy_section

pytestmark = pytest.mark.e2e


def kiosk(tmp_path: Path, broker: MosquittoBroker) -> Path:
    empty = tmp_path / "empty.toml"
    empty.write_text("fps = 5\nduration_s = 5.0\n")
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "st-{uuid.uuid4().hex[:8]}"\n'
        f'[camera]\ntype = "scene"\nscript = "{empty}"\nloop = true\n'
        f'[mqtt]\nport = {broker.port}\n[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        + privacy_section(tmp_path)
        + "[observability]\nport = 0\n"
    )
    return config


def test_a_kiosk_keeps_a_backup_forgets_into_it_and_is_restored_after_damage(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    config = kiosk(tmp_path, broker)
    database = tmp_path / "state" / "branchdoor.db"
    fill(database, tmp_path, customers=40)
    daemon = Daemon(config)
    try:
        assert daemon.wait_logged("backup: ", 90), daemon.log_text()
        forgot = branchdoor("forget", "C0", "--config", str(config))
        assert forgot.returncode == 0, forgot.stderr
        refused = branchdoor("state", "restore", "--config", str(config))
        assert refused.returncode == 1 and "stop it first" in refused.stderr, refused.stderr
        code, _ = daemon.terminate(timeout_s=10)
    finally:
        daemon.kill()
    assert code == 0, daemon.log_text()
    for path in (p for p in database.parent.rglob("*") if p.is_file()):
        assert NAME.encode() not in path.read_bytes(), f"{path}: the forgotten customer is still there"
    [backup] = Backups(database).copies()  # the copy from before the forget is gone
    expected = held(database, tmp_path)
    assert (expected["customers"], expected["templates"], expected["queued check-ins"]) == (39, 117, 39)

    garble_middle_page(database)
    started = branchdoor("run", "--config", str(config))
    assert started.returncode == 1 and len(started.stderr.splitlines()) == 1, started.stderr
    assert str(database) in started.stderr and str(backup) in started.stderr

    restored = branchdoor("state", "restore", "--config", str(config))
    assert restored.returncode == 0, restored.stderr
    back = held(database, tmp_path)  # everyone else, and their queued check-ins
    assert (back["customers"], back["templates"], back["queued check-ins"]) == (39, 117, 39)
    again = Daemon(config)
    try:
        assert again.wait_logged("ready:", 60), again.log_text()
        code, _ = again.terminate(timeout_s=10)
    finally:
        again.kill()
    assert code == 0, again.log_text()
