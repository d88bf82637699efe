"""Every MQTT payload of the teller contract as a typed model. The daemon builds its JSON through these,
and `device/mqtt/contract/asyncapi.json` is generated from them, so the document cannot drift from the code.

Unknown keys are forbidden: a payload cannot grow an ID number, a balance or an image by accident.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from device.domain import CheckinChannel

CUE_SCHEMA: Final = "branchdoor/cue/2"
WITHDRAWAL_SCHEMA: Final = "branchdoor/cue-withdrawal/1"
VISIT_SCHEMA: Final = "branchdoor/visit/1"
HELLO_SCHEMA: Final = "branchdoor/screen-hello/1"
FEEDBACK_SCHEMA: Final = "branchdoor/cue-feedback/1"
CLAIM_SCHEMA: Final = "branchdoor/visit-claim/1"
QUEUE_ALERT_SCHEMA: Final = "branchdoor/queue-alert/1"

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Timestamp = Annotated[str, Field(description="UTC, ISO 8601 with milliseconds: 2026-11-29T09:34:19.512Z")]
Short = Annotated[str, Field(min_length=1, max_length=200)]
Availability = Literal["online", "offline"]


def _schema_is_required(schema: dict[str, Any]) -> None:
    """`schema` has a default (so code need not repeat it) but is always on the wire."""
    if "schema" in schema.get("properties", {}):
        schema["required"] = ["schema", *schema.get("required", [])]


class Payload(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, json_schema_extra=_schema_is_required
    )

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class CuePayload(Payload):
    """A teller cue. Only `schema`, ids, `zone`, the check-in channel and times are always present; the
    branch's `[cues] fields` decides which of the others a cue may carry.

    Version 2 added `checkin_channel` (a teller screen says how the customer checked in) and leaves
    `confidence` off a token check-in. Later in version 2: `verify_before_greeting` (optional, so a screen
    that does not know it still shows the cue)."""

    kind: Literal["branchdoor/cue/2"] = Field(CUE_SCHEMA, alias="schema")
    cue_id: Id
    visit_id: Id
    branch_id: Id
    device_id: Id
    zone: Id | None = Field(None, description="The zone/counter it is routed to; absent: every screen.")
    customer_ref: Id | None = Field(None, description="Pseudonymous customer reference, never an ID number.")
    greeting_name: Short | None = None
    language: Annotated[str, Field(max_length=64)] | None = None
    interests: list[Short] | None = Field(None, max_length=20)
    service_hints: list[Short] | None = Field(None, max_length=20)
    visit_count: int | None = Field(
        None,
        ge=1,
        description="Visits at this branch within the kiosk's check-in retention "
        "(privacy.checkin_retention_days), this one included.",
    )
    last_visit: Timestamp | None = Field(None, description="The previous visit in that time, if any.")
    confidence: Literal["high", "medium"] | None = Field(
        None, description="How sure the face recognition is; absent on a token check-in."
    )
    checkin_channel: CheckinChannel = Field(
        description="`face`: recognised by the door camera. `token`: the customer's QR code or card under "
        "the scanner (an exact match, so no `confidence`)."
    )
    verify_before_greeting: Literal[True] | None = Field(
        None,
        description="`true`: the door camera could not tell the customer from a photo or a phone held up "
        "to it (no approach seen, no picture's edge seen either): the teller checks who it is before "
        "greeting them by name. Absent: nothing to verify.",
    )
    issued_at: Timestamp = Field(
        description="When the customer checked in at the door (seen by the camera, or the token scanned): "
        "the cue's life runs from then, so a check-in recorded late gets only what is left of it. Screens "
        "show the wait since then and list the longest-waiting customer first. UTC, ISO 8601 with ms."
    )
    expires_at: Timestamp = Field(description="Screens drop the card then; MQTT message expiry agrees.")


WithdrawalReason = Literal["expired", "served", "not_this_customer", "consent_withdrawn", "duplicate_visit"]


class CueWithdrawal(Payload):
    """A cue ended: every screen drops its card. Carries ids only."""

    kind: Literal["branchdoor/cue-withdrawal/1"] = Field(WITHDRAWAL_SCHEMA, alias="schema")
    cue_id: Id
    visit_id: Id
    reason: WithdrawalReason
    at: Timestamp


class VisitEvent(Payload):
    """The check-in lifecycle of one visit, by its stable `visit_id`.

    `arrived`: the customer checked in (one per visit; the cue is issued with it).
    `served`: a teller marked the cue served. Terminal.
    `left`: the visit ended without being marked served: the cue's life ran out (`reason` `timeout`,
    after `mqtt.cue_expiry_s`), a teller said it was not this customer (`not_this_customer`), or the
    customer withdrew consent while the cue was active (`consent_withdrawn`), or another kiosk of the
    branch had checked the customer in first (`duplicate_visit`: this visit merged into that one). Terminal.
    """

    kind: Literal["branchdoor/visit/1"] = Field(VISIT_SCHEMA, alias="schema")
    visit_id: Id
    branch_id: Id
    device_id: Id
    state: Literal["arrived", "served", "left"]
    reason: Literal[
        "checked_in", "teller_served", "timeout", "not_this_customer", "consent_withdrawn", "duplicate_visit"
    ]
    at: Timestamp


class ScreenHello(Payload):
    """A screen announces itself on `.../screen/<screen_id>/hello` whenever it sees a kiosk's
    availability turn `online` (retained, so also right after subscribing); the kiosk says `online`
    only once it listens for hellos, and replays the still-active cues for that screen on
    `.../screen/<screen_id>/cues`."""

    kind: Literal["branchdoor/screen-hello/1"] = Field(HELLO_SCHEMA, alias="schema")
    screen_id: Id
    zone: Id | None = Field(
        None,
        description="The zone/counter the screen believes it serves. The kiosk decides a screen's zone from "
        "its configuration (`[cues] screens`): a hello naming another zone is refused and gets no replay; "
        "absent: the configured zone (an unlisted screen gets branch-wide cues only).",
    )


class CueFeedback(Payload):
    """A teller's verdict on a cue, published on `.../screen/<screen_id>/feedback`."""

    kind: Literal["branchdoor/cue-feedback/1"] = Field(FEEDBACK_SCHEMA, alias="schema")
    cue_id: Id
    visit_id: Id
    screen_id: Id = Field(description="Must equal the screen id in the topic.")
    verdict: Literal["served", "not_this_customer"]
    at: Timestamp | None = None


class KioskHeard(Payload):
    online: bool = Field(description="Not `offline` on its retained availability.")
    heard_s_ago: float | None = Field(description="Since its last observations; null: never heard.")


class FloorRole(Payload):
    """This kiosk's part in its branch's one floor (device ids only)."""

    role: Literal["keeper", "contributor", "listening"] = Field(
        description="keeper: publishes the branch's floor and stores its bins; listening: just started."
    )
    keeper: Id | None = Field(None, description="The branch's floor keeper; absent without branch_merge.")
    kiosks: dict[str, KioskHeard] | None = Field(None, description="The other kiosks of the branch heard.")
    observations_accepted: int | None = Field(None, ge=0)
    observations_rejected: int | None = Field(None, ge=0, description="Malformed or hostile: refused.")
    observations_skewed: int | None = Field(
        None, ge=0, description="Accepted from a clock off by over 2 s: aged by receipt time."
    )


class VisitClaim(Payload):
    """Kiosk to kiosk, never to screens: this kiosk checked the customer in (one visit per branch, whatever
    the door). Retained on `.../claims/<key>` with MQTT message expiry = what is left of the dedup window.
    Of two claims of one customer within the window, the earlier whole second of `at` wins, then the lower
    `device_id`; the loser withdraws its cue and merges its check-in into the winner's visit."""

    kind: Literal["branchdoor/visit-claim/1"] = Field(CLAIM_SCHEMA, alias="schema")
    visit_id: Id
    customer_ref: Id = Field(description="Pseudonymous; `<key>` in the topic is a digest of it.")
    device_id: Id = Field(description="The kiosk that checked the customer in.")
    at: float = Field(gt=0, description="Unix time of the check-in.")


class QueueAlertStatus(Payload):
    state: Literal["raised", "clear"] = Field(description="As this kiosk, the floor keeper, judges it.")
    raised_total: int = Field(ge=0, description="Raised since the daemon started.")
    reasons: list[Literal["line", "forecast"]] = Field(max_length=2, description="What misses it now.")
    more_counters: int = Field(ge=0, description="Counters to open for the target, from the last judgement.")


class Health(Payload):
    """The device's health summary: no personal data."""

    status: Literal["ok", "degraded"]
    problems: list[str]
    uptime_s: float
    frames: int
    dropped_frames: int
    gallery_customers: int
    outbox: dict[str, int]
    software_version: Short = Field(description="The branchdoor package's version.")
    config_hash: Short = Field(
        description="sha256 of the effective validated configuration (not the file's bytes): kiosks "
        "with the same value run the same settings."
    )
    models: dict[str, Short] = Field(
        description="Versions of face_recognition_models, face_recognition, dlib, opencv, and the "
        "encoder model in use (and where it runs: inline or a worker process)."
    )
    floor: FloorRole | None = Field(None, description="With floor sensors.")
    duplicate_visits: dict[Literal["same_second", "partition"], int] | None = Field(
        None,
        description="Visits this kiosk merged into another kiosk's since it started, by cause "
        "(`same_second`: two doors in one second; `partition`: cut off from the broker). Absent: claims off.",
    )
    queue_alert: QueueAlertStatus | None = Field(None, description="With `[staffing] alert` and a floor.")


class DoorLine(Payload):
    in_: int = Field(alias="in", ge=0)
    out: int = Field(ge=0)


class FloorSnapshot(Payload):
    """Anonymous floor counts: people now, per zone, door totals today, the queue."""

    at: float = Field(description="Unix time of the snapshot.")
    occupancy: int = Field(ge=0)
    zones: dict[str, int]
    lines: dict[str, DoorLine]
    queue_length: int = Field(ge=0)
    estimated_wait_s: float = Field(ge=0)


class FloorSensorView(Payload):
    sensor: Id
    t: float = Field(description="Unix time of the sensor's reading, the sender's clock.")
    points: list[tuple[float, float]] = Field(
        max_length=32, description="People seen, [x, y] in floor metres of the branch plan."
    )


class FloorObservations(Payload):
    """One kiosk's sensors' view, for the other kiosks of its branch: floor metres, no track, no identity."""

    kind: Literal["branchdoor/floor-observations/1"] = Field(
        "branchdoor/floor-observations/1", alias="schema"
    )
    at: float = Field(description="Unix time sent, the sender's clock.")
    sensors: list[FloorSensorView] = Field(max_length=16)
    staff_named: list[float] = Field(
        max_length=16, description="When the sender's camera named staff at its door: not footfall."
    )
    keeper: bool = Field(
        description="The sender keeps the branch's floor now: a kiosk joining later defers to it."
    )


class ForecastHour(Payload):
    start: str = Field(description="Start of the hour, UTC, ISO 8601.")
    visits: float = Field(ge=0, description="Expected visits in the hour.")
    low80: float = Field(ge=0, description="Lower end of the 80 % prediction interval.")
    high80: float = Field(ge=0, description="Upper end of the 80 % prediction interval.")


class ForecastPayload(Payload):
    """Expected visits per hour for the coming days, from the branch's own history: anonymous."""

    kind: Literal["branchdoor/forecast/1"] = Field("branchdoor/forecast/1", alias="schema")
    branch_id: Id
    issued_at: str = Field(description="When the model was fitted, UTC, ISO 8601.")
    bin_s: Literal[3600]
    level: float = Field(gt=0, lt=1, description="Coverage the intervals aim at (0.8).")
    history_days: float = Field(ge=0, description="Days of local history the fit learned from.")
    trend_per_year: float | None = Field(None, description="Fitted yearly trend; null before 8 weeks.")
    unsure: bool = Field(
        False,
        description="The forecast rests on little (a recent level shift, an outage, a closure): its "
        "intervals are wider. Absent from forecasts before #18: read as false.",
    )
    unsure_reason: str | None = Field(None, description="Why it is unsure, for people; null when sure.")
    hours: list[ForecastHour]


class QueueAlertPayload(Payload):
    """The live queue alert for the teller screens: "open another counter", or back within the target.
    Counts and seconds only: nobody in the line is named or described."""

    kind: Literal["branchdoor/queue-alert/1"] = Field(QUEUE_ALERT_SCHEMA, alias="schema")
    state: Literal["raised", "clear"]
    since: Timestamp = Field(description="When it was raised or cleared (or the kiosk took the floor).")
    expires_at: Timestamp = Field(
        description="Refreshed before then while the kiosk keeps the floor; a screen drops it after."
    )
    reasons: list[Literal["line", "forecast"]] = Field(
        max_length=2,
        description="What misses the target now: `line`, the floor's estimated wait is over "
        "target_wait_s; `forecast`, the next half hour's forecast arrivals need more counters than are "
        "open (Erlang C). Empty: within the target (a raised alert clears only well within it).",
    )
    counters_open: int = Field(
        ge=1,
        description="The most counter zones the floor saw occupied at once over the last 15 minutes, at "
        "least one (counters_open_from).",
    )
    counters_open_from: Literal["occupied_counter_zones"]
    counters_needed: int = Field(ge=1, description="For the line and the forecast; at most max_counters.")
    more_counters: int = Field(ge=0, description="Counters to open: counters_needed - counters_open.")
    queue_length: int = Field(ge=0)
    estimated_wait_s: float = Field(ge=0, description="The floor's estimate for someone joining the line.")
    forecast_arrivals_per_h: float | None = Field(
        None, ge=0, description="Forecast arrivals over the next 30 minutes; absent: no current forecast."
    )
    target_wait_s: float = Field(gt=0, description="[staffing] target_wait_s.")
    target_share: float = Field(gt=0, lt=1, description="[staffing] target_share.")


class StaffingHour(Payload):
    start: str = Field(description="Start of the hour, UTC, ISO 8601.")
    local_hour: int = Field(ge=0, le=23, description="The hour of day at the branch (kiosk's time zone).")
    arrivals: float = Field(ge=0, description="Forecast visits in the hour: the plan's arrival rate.")
    counters: int = Field(ge=0, description="Counters to open; 0: closed or no visitor expected.")
    expected_wait_s: float | None = Field(
        ge=0, description="Mean wait over every customer with that many open; null: the line grows all hour."
    )
    served_within_target: float = Field(
        ge=0, le=1, description="Share of customers expected to wait at most target_wait_s."
    )
    meets_target: bool = Field(description="False: even max_counters open fall short of the target.")
    service_s: float = Field(gt=0, description="Mean service time the plan assumed for the hour.")
    service_cv: float = Field(ge=0, description="Its coefficient of variation (1: exponential).")
    service_source: Literal["hour of day", "overall", "configured"] = Field(
        description="Where the service time comes from: the floor's counter stays at this hour of day, "
        "over every hour, or [floor] service_time_s when too few were observed."
    )


class StaffingPayload(Payload):
    """Counters to open per hour for the forecast's horizon, and the wait to expect: anonymous."""

    kind: Literal["branchdoor/staffing/1"] = Field("branchdoor/staffing/1", alias="schema")
    branch_id: Id
    issued_at: str = Field(description="When the forecast it is made from was fitted, UTC, ISO 8601.")
    target_wait_s: float = Field(gt=0, description="[staffing] target_wait_s.")
    target_share: float = Field(gt=0, lt=1, description="[staffing] target_share.")
    max_counters: int = Field(ge=1, description="[staffing] max_counters: the plan never asks more.")
    short_hours: int = Field(ge=0, description="Hours in which even max_counters miss the target.")
    hours: list[StaffingHour]
