"""The wire models of the central contract: the single source of truth for sync/openapi.json.

The reference server (sync/central_sim) serves these and the device client parses with them, so the
document the bank's integration team reads cannot drift from what either side speaks.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

EMBEDDING_MODEL = "dlib_face_recognition_resnet_model_v1"
TEMPLATE_SIZE = 128
# A device may hold a customer only when their consent covers devices in branches.
REQUIRED_SCOPE = "branch-devices"

Ref = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="Pseudonymous customer ref.")]
RecordId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_.:-]{1,128}$",
        description="Stable id chosen by the device (a UUID): the same record re-sent keeps its id, "
        "so the server stores it once.",
    ),
]
Template = Annotated[
    list[Annotated[float, Field(allow_inf_nan=False)]],
    Field(min_length=TEMPLATE_SIZE, max_length=TEMPLATE_SIZE, description="One 128-number face template."),
]
Text = Annotated[str, Field(min_length=1, max_length=200)]
BirthYearBand = Annotated[
    str,
    Field(
        pattern=r"^(19|20)[0-9]0-(19|20)[0-9]9$",
        description="Decade of birth from the consented profile, e.g. 1980-1989: the device's only source "
        "of age, for anonymous branch statistics (never estimated from a face).",
    ),
]


class WireModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Consent(WireModel):
    notice_version: Text = Field(description="The privacy notice the customer accepted, e.g. notice-2026-03.")
    purpose: Text = Field(description="Why the face is processed, e.g. branch-check-in.")
    scope: list[Text] = Field(
        min_length=1,
        description=f"Where the consent applies. A device refuses (and reports in /audit) any upsert whose "
        f"scope lacks {REQUIRED_SCOPE!r}.",
    )
    channel: Text = Field(description="Where consent was given, e.g. kiosk-enrollment, mobile-app.")
    granted_at: AwareDatetime = Field(description="When consent was given (RFC 3339, with offset).")


class GalleryUpsert(WireModel):
    """Hold this customer: replace any profile and templates held for them with these."""

    op: Literal["upsert"]
    customer_ref: Ref
    greeting_name: Text
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
    interests: list[Text] = Field(default_factory=list, max_length=20)
    service_hints: list[Text] = Field(default_factory=list, max_length=20)
    birth_year_band: BirthYearBand | None = None
    role: Literal["customer", "staff"] = Field(
        "customer",
        description="staff: a consenting member of the branch's staff, recognised at the door only to be "
        "left alone (never cued, checked in or counted as a visit). Since 1.2.0; absent means customer. "
        "A device refuses (and reports in /audit) an upsert with any other role.",
    )
    consent: Consent
    embedding_model: Literal["dlib_face_recognition_resnet_model_v1"]
    templates: list[Template] = Field(min_length=1, max_length=20)

    @property
    def consent_covers_devices(self) -> bool:
        return REQUIRED_SCOPE in self.consent.scope

    @field_validator("birth_year_band")
    @classmethod
    def _one_decade(cls, band: str | None) -> str | None:
        if band is not None:
            first, last = (int(year) for year in band.split("-"))
            if first % 10 or last != first + 9:
                raise ValueError("a birth-year band is one decade, e.g. 1980-1989")
        return band


class GalleryDelete(WireModel):
    """Forget this customer now: profile, consent, templates, check-ins. Then acknowledge it."""

    op: Literal["delete"]
    customer_ref: Ref
    reason: Literal["withdrawn", "deleted"] = Field(
        description="withdrawn: the customer withdrew consent; deleted: the bank erased the customer."
    )


GalleryItem = Annotated[GalleryUpsert | GalleryDelete, Field(discriminator="op")]


class GalleryPage(WireModel):
    items: list[GalleryItem] = Field(
        description="Changes in order. Apply each item on its own: one that fails validation is "
        "skipped and reported, never a reason to drop the page."
    )
    next_cursor: str = Field(
        description="Opaque. Pass it as `cursor` on the next pull, also when `more` is false (that "
        "is how the device asks only for what changed since)."
    )
    more: bool = Field(description="True when further changes are waiting: pull again at once.")


class CheckinRecord(WireModel):
    record_id: RecordId
    customer_ref: Ref
    branch_id: Text
    at: AwareDatetime
    score_band: Literal["high", "medium"]


AuditEvent = Literal[
    "identification",
    "cue_shown",
    "cue_withdrawn",
    "cue_feedback",
    "enrollment",
    "customer_forgotten",
    "consent_granted",
    "consent_withdrawn",
    "gallery_item_refused",
    "scanner_checkin",
    "debug_capture",
    "key_rotated",
]


class AuditRecord(WireModel):
    """Who was identified or shown to which screen, and what the device refused. Never biometrics."""

    record_id: RecordId
    at: AwareDatetime
    event: AuditEvent
    customer_ref: Ref | None = None
    actor: Text = Field("device", description='Who acted: "device", "teller", "operator" or "central".')
    score_band: Literal["high", "medium"] | None = None
    screen: Text | None = None
    rule: Text | None = Field(None, description="Which decision rule or policy produced the event.")
    detail: str | None = Field(None, max_length=500)


class AggregateRecord(WireModel):
    """Anonymous counts per time bin: footfall leaves the device only like this."""

    record_id: RecordId
    bin_start: AwareDatetime
    bin_s: int = Field(gt=0, le=86_400)
    metric: Literal[
        "unidentified_visits",
        "door_in",
        "door_out",
        "queue_length_max",
        "occupancy_max",
        "forecast_visits",
        "staffing_counters",
    ]
    value: int = Field(ge=0)
    zone: Text | None = None
    low80: int | None = Field(
        None, ge=0, description="forecast_visits only: lower end of the 80 % prediction interval."
    )
    high80: int | None = Field(
        None, ge=0, description="forecast_visits only: upper end of the 80 % prediction interval."
    )
    issued_at: AwareDatetime | None = Field(
        None,
        description="forecast_visits and staffing_counters only: when the forecast was made (a newer one "
        "replaces it).",
    )
    expected_wait_s: float | None = Field(
        None,
        ge=0,
        description="staffing_counters only (since 1.3.0): mean wait in seconds with `value` counters "
        "open; null: the line grows all hour.",
    )
    served_within_target: float | None = Field(
        None, ge=0, le=1, description="staffing_counters only: share expected to wait within the target."
    )
    meets_target: bool | None = Field(
        None, description="staffing_counters only: false when even every counter falls short."
    )

    @model_validator(mode="after")
    def _forecast_fields(self) -> AggregateRecord:
        staffing = (self.served_within_target, self.meets_target)
        if self.metric == "staffing_counters":
            if self.issued_at is None or None in staffing:
                raise ValueError("staffing_counters needs issued_at, served_within_target and meets_target")
            if self.low80 is not None or self.high80 is not None:
                raise ValueError("low80 and high80 belong to forecast_visits only")
            return self
        if self.expected_wait_s is not None or any(field is not None for field in staffing):
            raise ValueError("expected_wait_s, served_within_target and meets_target belong to staffing only")
        forecast = (self.low80, self.high80, self.issued_at)
        if self.metric != "forecast_visits":
            if any(field is not None for field in forecast):
                raise ValueError("low80, high80 and issued_at belong to forecast_visits only")
            return self
        if self.low80 is None or self.high80 is None or self.issued_at is None:
            raise ValueError("forecast_visits needs low80, high80 and issued_at")
        if not self.low80 <= self.value <= self.high80:
            raise ValueError("forecast_visits needs low80 <= value <= high80")
        return self


class CheckinBatch(WireModel):
    records: list[CheckinRecord] = Field(min_length=1, max_length=500)


class AuditBatch(WireModel):
    records: list[AuditRecord] = Field(min_length=1, max_length=500)


class AggregateBatch(WireModel):
    records: list[AggregateRecord] = Field(min_length=1, max_length=500)


class UploadResult(WireModel):
    accepted: int = Field(ge=0, description="Records stored for the first time by this batch.")
    duplicates: int = Field(ge=0, description="Records whose record_id was already stored: not stored again.")


class DeletionAcks(WireModel):
    customer_refs: list[Ref] = Field(min_length=1, max_length=1000)


class DeletionAckResult(WireModel):
    acknowledged: int = Field(ge=0, description="How many refs were acknowledged (re-acks count too).")


class Problem(BaseModel):
    """An error answer."""

    detail: str | list[object]


class RejectedRecord(WireModel):
    record_id: str = Field(description="The record_id of the refused record, as the device sent it.")
    reason: str = Field(
        max_length=500, description="What is wrong with it (the field and the rule), never its content."
    )


class UploadRefused(Problem):
    """A 422 on an upload. `rejected` names the records refused for their own content: the device sets
    exactly those aside and sends the rest again under a new Idempotency-Key. A 422 naming no record
    (or only records not in the batch) says nothing about any one record: the device keeps every
    record and retries, as after any other refusal."""

    rejected: list[RejectedRecord] = Field(
        default_factory=list,
        description="The records refused for what they hold, by record_id; empty when the refusal is "
        "about the request as a whole (its Idempotency-Key, its size, its headers).",
    )
