"""`branchdoor run`: assemble the parts, start them, and stop them in order; the supervising loop
and systemd's watchdog are in watchdog.py."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from common.faults import Faults
from common.secret_files import credential_source
from device.analytics.service import ForecastService
from device.central.service import CentralSync
from device.checkin.claims import ClaimBook
from device.checkin.desk import CheckinDesk
from device.config import Config
from device.cues.board import CueBoard
from device.dashboard.server import DashboardServer
from device.domain import CheckIn
from device.floor.bins_store import FloorBinStore
from device.floor.keeper import BranchFloor
from device.floor.records import FloorSnapshot
from device.floor.service import FloorService
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.privacy.keys import load_cipher
from device.recognition.encoder import make_encoder
from device.recognition.faces import FaceEngine
from device.recognition.gallery import Gallery
from device.recognition.pipeline import Pipeline
from device.recognition.recognizer import Recognizer
from device.runtime.backup_schedule import BackupSchedule
from device.runtime.branch_claims import BranchClaims
from device.runtime.duties import Duties
from device.runtime.identity import fleet_identity
from device.runtime.observability import ObservabilityServer, Parts, guard_disk, health
from device.runtime.queue_alert import QueueAlertDuty, queue_alert
from device.runtime.sdnotify import Notifier
from device.runtime.staffing import staffing_planner
from device.runtime.watchdog import announce_ready, supervise
from device.staffing.service import StaffingPlanner
from device.state.store import Store
from drivers.camera import open_camera
from sync.client import CentralClient, CentralError
from sync.credentials import read_device_secret

log = logging.getLogger(__name__)


def install_signal_handlers(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def mqtt_client_id(config: Config) -> str:
    """Predictable, for the broker's log. A broker that lets any account choose any client id lets a
    screen take this one and knock the kiosk off: the shipped Mosquitto config replaces it by the
    certificate's CN (config/mosquitto/mosquitto.conf, `use_username_as_clientid`)."""
    return f"branchdoor-{config.branch.id}-{config.branch.device_id}"


def run(config: Config, stop: threading.Event) -> int:
    # Every part reports what it cannot do here; /healthz, /metrics and the health topic read it.
    faults = Faults()
    notifier = Notifier()
    topics = Topics(config.mqtt.topic_prefix, config.branch.id, config.branch.device_id)
    # A missing, unsafe or wrong template key refuses the start here, before anything else opens; so
    # does a damaged, emptied or vanished database (a StateError, device/state/check.py).
    camera = open_camera(config.camera)  # a scene script that cannot be played refuses the start first
    store = Store(config.storage.database, load_cipher(config.privacy))
    backups = BackupSchedule(store.backups, config.storage.backup_interval_s, config.storage.backup_copies)
    link = MqttLink(config.mqtt, topics, client_id=mqtt_client_id(config), faults=faults)
    rec = config.recognition
    rule = f"open-set: tolerance {rec.tolerance}, margin {rec.margin}, {rec.min_votes} votes"
    desk = CheckinDesk(store, config.branch.id, config.branch.device_id, config.checkin.dedup_window_s, rule)

    def make_recognizer(gallery: Callable[[], Gallery]) -> Recognizer:
        engine = FaceEngine(config.recognition.detect_width, config.recognition.upsample)
        return Recognizer(engine, config.recognition, gallery, make_encoder(config.recognition.encoder))

    board = CueBoard(link, topics, config.cues, config.mqtt.cue_expiry_s, store)
    claims = _branch_claims(config, store, link, topics, board, faults)

    def cue_for(checkin: CheckIn) -> None:
        if claims is not None:  # before the cue: the other doors hear of the visit as soon as can be
            claims.claim(checkin)
        # Its life runs from the frame: a check-in the disk held back gets only what is left of it.
        board.issue(checkin, seen_at=checkin.at)

    alert = queue_alert(config, link, faults)  # judged with each snapshot the floor keeper publishes
    floor = _floor_service(config, link, faults, alert)
    # Staff named at the door: their crossing of the door line is not footfall.
    staff_named = floor.staff_named if floor is not None else None
    pipeline = Pipeline(
        camera, make_recognizer, store, desk, on_checkin=cue_for, faults=faults, on_staff_pass=staff_named
    )
    log.info(
        "starting branch=%s device=%s camera=%s broker=%s:%s",
        config.branch.id,
        config.branch.device_id,
        camera.describe(),
        config.mqtt.host,
        config.mqtt.port,
    )
    planner = staffing_planner(config, store, link, faults)
    forecaster = _forecast_service(config, store, link, faults, planner)
    if alert is not None and forecaster is not None:
        alert.read_forecast(forecaster)
        alert.read_plan(planner)
    duties = Duties(config, store, desk, board if claims is None else claims, cue_for, faults)
    central = _central_sync(config, store, faults)
    sync_stop = threading.Event()
    sync_thread = (
        threading.Thread(target=central.run, args=(sync_stop,), name="central-sync", daemon=True)
        if central is not None
        else None
    )
    link.start()
    if central is not None:
        _first_sync(central)
    pipeline.start()
    duties.start()
    backups.start()
    if floor is not None:
        floor.start()
    if forecaster is not None:
        forecaster.start()
    if sync_thread is not None:
        sync_thread.start()
    parts = Parts(
        pipeline,
        link,
        store,
        floor,
        central,
        scanner=duties.scanner_stats,
        board=board,
        faults=faults,
        identity=fleet_identity(config),
    )
    parts.claims = claims
    parts.queue_alert = alert
    server = _observability(config, parts)
    dashboard = _dashboard(config)
    next_health = time.monotonic()

    def publish_health() -> None:
        nonlocal next_health
        duties.tick()
        if time.monotonic() >= next_health:
            next_health += config.observability.health_interval_s
            # Apart, so that a disk too full even to drop aggregates still has its health published.
            faults.attempt("disk", "drop queued aggregates", lambda: guard_disk(store))
            link.publish_health(health(parts), int(3 * config.observability.health_interval_s))

    try:
        announce_ready(notifier, pipeline, link, stop)
        supervise(notifier, pipeline, stop, publish_health, link.loop_alive, faults)
    finally:
        notifier.stopping()
        if server is not None:
            server.stop()
        if dashboard is not None:
            dashboard.stop()
        pipeline.stop()
        duties.stop()
        backups.stop()
        if floor is not None:
            floor.stop()
            log.info("floor: sensor bad frames %s", floor.bad_frames())
        if forecaster is not None:
            forecaster.stop()
        if sync_thread is not None:
            sync_stop.set()
            sync_thread.join(2.0)
        link.stop()
        store.close()
        notifier.close()
        stats = pipeline.stats
        log.info(
            "stopped: frames=%d processed=%d dropped=%d checkins=%d unidentified_visits=%d cues=%d",
            stats.frames_captured,
            stats.frames_processed,
            pipeline.dropped_frames,
            stats.checkins,
            stats.unidentified_visits,
            link.cues_sent,
        )
    return 0


def _branch_claims(
    config: Config, store: Store, link: MqttLink, topics: Topics, board: CueBoard, faults: Faults
) -> BranchClaims | None:
    if not config.checkin.branch_claims:
        return None
    book = ClaimBook(store, config.branch.device_id, config.checkin.dedup_window_s)
    return BranchClaims(book, link, topics, board, faults=faults)


def _floor_service(
    config: Config, link: MqttLink, faults: Faults, alert: QueueAlertDuty | None = None
) -> FloorService | None:
    if config.floor is None or not config.sensors:
        return None
    floor_config = config.floor
    expiry = int(2 * floor_config.snapshot_interval_s) + 1

    def publish(snapshot: FloorSnapshot) -> None:
        link.publish_floor(snapshot.to_dict(), expiry)
        if alert is not None:
            alert.on_snapshot(snapshot)

    store = FloorBinStore(config.storage.database)
    if not floor_config.branch_merge:
        return FloorService(floor_config, config.sensors, store, publish, faults=faults)
    branch, share = join_branch_floor(link)
    return FloorService(
        floor_config, config.sensors, store, publish, faults=faults, branch=branch, share=share
    )


def join_branch_floor(link: MqttLink) -> tuple[BranchFloor, Callable[[bytes], None]]:
    """Before the link starts: hear the branch's other kiosks, and how to tell them what ours see."""
    topics = link.topics
    branch = BranchFloor(topics.device_id)
    link.subscribe(f"{topics.branch}/device/+/availability", branch.heard_availability)
    link.subscribe(f"{topics.branch}/device/+/floor/observations", branch.heard_observations)

    def share(batch: bytes) -> None:  # live positions, worthless soon: 2 s leaves a whole second on the wire
        link.publish_json(topics.floor_observations, batch, 0, 2.0)

    return branch, share


def _forecast_service(
    config: Config, store: Store, link: MqttLink, faults: Faults, planner: StaffingPlanner
) -> ForecastService | None:
    if not config.analytics.forecast:
        return None
    return ForecastService(
        config.analytics,
        store,
        config.branch.id,
        link.publish_forecast,
        upload=config.central is not None,
        faults=faults,
        refitted=planner.forecast_refitted,
    )


def _dashboard(config: Config) -> DashboardServer | None:
    if not config.dashboard.enabled:
        return None
    try:
        server = DashboardServer(config.dashboard, config.branch.id, config.mqtt.topic_prefix)
    except OSError as exc:  # the port is taken, or the address is not this machine's: run without it
        log.error(
            "teller dashboard on %s port %s unavailable: %s",
            config.dashboard.host,
            config.dashboard.port,
            exc,
        )
        return None
    server.start()
    return server


def _first_sync(central: CentralSync) -> None:
    """Fetch the gallery before the camera starts: a customer walking in at boot is then recognised.
    A service unreachable or refusing, or a failing database, is no reason not to start: the local
    gallery serves until it is back (the sync thread retries, and health says since when)."""
    try:
        central.sync_once()
    except CentralError as exc:
        log.warning("central service not synced at start (%s): using the gallery held locally", exc)
    except Exception as exc:
        central.faults.report("central", "sync", exc)


def _central_sync(config: Config, store: Store, faults: Faults) -> CentralSync | None:
    if config.central is None:
        return None
    central = config.central
    # A secret file others can read is refused here, at start, rather than used. Started by hand as
    # root, the systemd credential's path is read from the file the unit loads it from.
    secret = read_device_secret(credential_source(central.device_secret_file))
    device_id = central.device_id or f"{config.branch.id}-{config.branch.device_id}"
    client = CentralClient(central.url, device_id, secret, timeout_s=central.timeout_s)
    budget = int(config.storage.outbox_budget_mb * 1024 * 1024)
    return CentralSync(store, client, central.interval_s, central.batch_size, budget, faults)


def _observability(config: Config, parts: Parts) -> ObservabilityServer | None:
    if not config.observability.enabled:
        return None
    try:
        server = ObservabilityServer(parts, config.observability.host, config.observability.port)
    except OSError as exc:  # the port is taken, or the address is not this machine's: run without it
        observability = config.observability
        log.error(
            "health and metrics on %s port %s unavailable: %s", observability.host, observability.port, exc
        )
        return None
    server.start()
    return server
