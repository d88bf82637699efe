"""A config `config check` accepts never makes `branchdoor run` fail on its values: every number at the
largest value it accepts, and a dashboard address this machine does not have."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from device.analytics.config import AnalyticsConfig
from device.central.config import CentralConfig
from device.checkin.config import CheckinConfig
from device.cli import main
from device.config import ObservabilityConfig
from device.demo.broker import MosquittoBroker
from device.mqtt.config import MqttConfig
from device.privacy.config import PrivacyConfig
from device.recognition.config import RecognitionConfig
from device.state.config import StorageConfig
from sync.central_sim import CentralSim
from tests.config_limits import at_the_limits
from tests.e2e.daemon import Daemon
from tests.e2e.test_central import device_secret
from tests.keys import key_file
from tests.sync.helpers import SECRET

pytestmark = pytest.mark.e2e


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralSim]:
    with CentralSim(tmp_path / "central.db", secrets={"e2e-door-1": SECRET}) as running:
        yield running


def test_every_number_at_its_limit_runs_without_a_traceback(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = tmp_path / "empty.toml"
    scene.write_text("fps = 5\nduration_s = 5.0\n")
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        '[branch]\nid = "limits"\n'
        f'[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
        + at_the_limits("mqtt", MqttConfig) + f"port = {broker.port}\n"
        + at_the_limits("storage", StorageConfig) + f'state_dir = "{tmp_path / "state"}"\n'
        + at_the_limits("privacy", PrivacyConfig) + f'template_key_file = "{key_file(tmp_path)}"\n'
        + at_the_limits("central", CentralConfig)
        + f'url = "{central.base_url}"\ndevice_id = "e2e-door-1"\n'
        + f'device_secret_file = "{device_secret(tmp_path)}"\n'
        + at_the_limits("observability", ObservabilityConfig) + "port = 0\n"
        + at_the_limits("recognition", RecognitionConfig)
        + at_the_limits("checkin", CheckinConfig)
        + at_the_limits("analytics", AnalyticsConfig)
        # TEST-NET-1: an address no machine has, so binding it fails when the daemon starts.
        + '[dashboard]\nenabled = true\nhost = "192.0.2.1"\nport = 0\n'
    )  # fmt: skip
    assert main(["config", "check", str(config)]) == 0, capsys.readouterr().err
    daemon = Daemon(config)
    try:
        assert daemon.wait_logged("ready:", 60), daemon.log_text()
        served = re.search(r"http://127\.0\.0\.1:(\d+)/healthz", daemon.log_text())
        assert served is not None, daemon.log_text()
        assert httpx.get(served.group(0), timeout=30).status_code in (200, 503)
        code, _ = daemon.terminate(timeout_s=15)
    finally:
        daemon.kill()
    assert code == 0, daemon.log_text()
    assert daemon.logged("teller dashboard on 192.0.2.1 port 0 unavailable") == 1, daemon.log_text()
    failures = [line for line in daemon.lines if "exc" in line or "Traceback" in str(line.get("msg"))]
    assert failures == [], daemon.log_text()
