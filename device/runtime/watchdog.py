"""Telling systemd the truth: READY=1 once frames and the broker are in (or their wait is over), and
WATCHDOG=1 only while the daemon really works."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from common.faults import Faults
from device.mqtt.link import MqttLink
from device.recognition.pipeline import Pipeline
from device.runtime.sdnotify import Notifier, watchdog_interval_s

log = logging.getLogger(__name__)

READY_WAIT_S = 10.0
# The recognition thread is healthy while it comes back to its mailbox at least this often.
WORKER_STALL_S = 30.0
# A camera silent this long, while its driver is not waiting to reconnect, is stuck.
CAPTURE_STALL_S = 20.0


def announce_ready(notifier: Notifier, pipeline: Pipeline, link: MqttLink, stop: threading.Event) -> None:
    deadline = time.monotonic() + READY_WAIT_S
    while time.monotonic() < deadline and not stop.is_set():
        if pipeline.stats.frames_captured > 0 and link.connected:
            break
        stop.wait(0.05)
    parts = [
        f"gallery={len(pipeline.gallery)}",
        "camera=ok" if pipeline.stats.frames_captured else "camera=waiting",
        "broker=ok" if link.connected else "broker=waiting",
    ]
    status = " ".join(parts)
    notifier.ready(status)
    log.info("ready: %s", status)


def supervise(
    notifier: Notifier,
    pipeline: Pipeline,
    stop: threading.Event,
    every_tick: Callable[[], None],
    link_alive: Callable[[], bool] = lambda: True,
    faults: Faults | None = None,
) -> None:
    """Until `stop` or the end of the camera stream. `every_tick` failing is a `supervisor` fault in
    `faults` (the pipeline's by default), tried again next tick: this loop is the daemon's life."""
    faults = faults or pipeline.faults
    interval = watchdog_interval_s()
    tick = min(1.0, interval) if interval else 1.0
    while not stop.is_set():
        if pipeline.finished:
            log.info("camera stream finished; stopping")
            return
        # Feed the watchdog only while the daemon really works: a hung recognition worker, a capture
        # stuck inside a read, or a dead MQTT network thread must let systemd restart us instead of
        # being papered over by a healthy-looking main thread.
        now = time.monotonic()
        healthy = (
            now - pipeline.worker_heartbeat < WORKER_STALL_S
            and pipeline.capture_healthy(now, CAPTURE_STALL_S)
            and link_alive()
        )
        if interval and healthy:
            notifier.watchdog()
        faults.attempt("supervisor", "run the periodic duties", every_tick)
        stop.wait(tick)
