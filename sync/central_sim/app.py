"""The reference central service: the device endpoints of the contract, plus admin endpoints for tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from sync.central_sim import cursor
from sync.central_sim.admin import admin_router
from sync.central_sim.auth import AuthenticatedDevice
from sync.central_sim.contract_text import DESCRIPTION, TITLE, VERSION
from sync.central_sim.db import CentralDb, KeyReused, RecordKind
from sync.central_sim.device_keys import DeviceSecrets
from sync.central_sim.faults import Faults, FaultSwitch, refusal
from sync.central_sim.rejections import rejected_records
from sync.models import (
    AggregateBatch,
    AuditBatch,
    CheckinBatch,
    DeletionAckResult,
    DeletionAcks,
    GalleryPage,
    Problem,
    UploadRefused,
    UploadResult,
)

Batch = CheckinBatch | AuditBatch | AggregateBatch
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": Problem,
        "description": "Unsigned, badly signed, stale (timestamp outside the window) or replayed request.",
    },
    422: {"model": Problem, "description": "The request does not match this contract."},
    429: {"model": Problem, "description": "Too many requests: retry later with backoff."},
    500: {"model": Problem, "description": "Central failure: retry later with the same request."},
    503: {"model": Problem, "description": "Central unavailable: retry later with backoff."},
}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    422: {
        "model": UploadRefused,
        "description": "The batch does not match this contract, or its Idempotency-Key was already "
        "used for a different body. `rejected` names the records refused for their own content.",
    },
}
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="One per batch, e.g. a UUID; kept when the same batch is retried.",
    ),
]


def _malformed_item() -> dict[str, Any]:
    """An upsert whose template has 127 numbers: what a device must skip and report, alone."""
    return {
        "op": "upsert",
        "customer_ref": "MALFORMED-1",
        "greeting_name": "Nobody",
        "consent": {
            "notice_version": "notice-2026-03",
            "purpose": "branch-check-in",
            "scope": ["branch-devices"],
            "channel": "kiosk-enrollment",
            "granted_at": "2026-03-01T09:00:00Z",
        },
        "embedding_model": "dlib_face_recognition_resnet_model_v1",
        "templates": [[0.0] * 127],
    }


def create_app(db_path: Path, faults: Faults | None = None, *, secrets: DeviceSecrets) -> FastAPI:
    """The sim over its own SQLite file. `secrets`: each device's, as a table or from a master secret."""
    db = CentralDb(db_path)
    switch = FaultSwitch(faults or Faults())
    app = FastAPI(title=TITLE, version=VERSION, description=DESCRIPTION)
    app.state.db = db
    app.state.faults = switch
    app.state.secrets = secrets
    app.include_router(admin_router(db, switch))

    @app.middleware("http")
    async def apply_faults(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Only device calls fail: the admin endpoints must stay reachable to switch faults off.
        current = switch.current
        if request.url.path.startswith("/v1/") and current.applies_to(request.method):
            answer = refusal(current)
            if answer is not None:
                return answer
            if current.mode == "slow":
                await asyncio.sleep(current.delay_s)
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def name_rejected_records(request: Request, exc: RequestValidationError) -> Response:
        if request.method != "POST" or request.url.path.endswith("/deletion-acks"):
            return await request_validation_exception_handler(request, exc)
        rejected = rejected_records(exc.errors(), exc.body)
        answer = UploadRefused(detail=jsonable_encoder(exc.errors()), rejected=rejected)
        return JSONResponse(answer.model_dump(mode="json"), 422)

    @app.get(
        "/v1/devices/{device_id}/gallery",
        response_model=GalleryPage,
        responses={
            **_ERRORS,
            400: {"model": Problem, "description": "The cursor is not one this service handed out."},
            410: {
                "model": Problem,
                "description": "The cursor expired: wipe the gallery, pull from scratch.",
            },
        },
        summary="Pull gallery changes after a cursor",
        operation_id="pullGallery",
    )
    async def gallery(
        device_id: AuthenticatedDevice,
        cursor_text: Annotated[
            str | None, Query(alias="cursor", max_length=512, description="next_cursor of the last page.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="Most items in one page.")] = 100,
    ) -> Response:
        epoch = db.epoch()
        after = 0
        if cursor_text is not None:
            try:
                cursor_epoch, after = cursor.decode(cursor_text)
            except cursor.BadCursor:
                raise HTTPException(400, "unknown cursor: pull from scratch without one") from None
            if cursor_epoch != epoch:
                raise HTTPException(410, "cursor expired: wipe the gallery and pull from scratch")
        changes, more = db.changes_after(after, limit)
        items = [change.item for change in changes]
        if switch.take_malformed():
            items.insert(len(items) // 2, _malformed_item())
        last = changes[-1].seq if changes else after
        # Returned as is (not through response_model) so the malformed fault reaches the device.
        page = {"items": items, "next_cursor": cursor.encode(epoch, last), "more": more}
        return JSONResponse(page)

    async def store(
        request: Request, device_id: str, key: str, kind: RecordKind, batch: Batch
    ) -> UploadResult:
        records = [record.model_dump(mode="json") for record in batch.records]
        try:
            answer = db.store_batch(device_id, kind, key, await request.body(), records)
        except KeyReused:
            raise HTTPException(422, "Idempotency-Key already used for a different body") from None
        return UploadResult.model_validate(answer.response)

    def upload_route(kind: RecordKind) -> dict[str, Any]:
        return {
            "path": f"/v1/devices/{{device_id}}/{kind}",
            "response_model": UploadResult,
            "responses": _UPLOAD_ERRORS,
            "summary": f"Upload a batch of {kind} records",
            "operation_id": f"upload{kind.capitalize()}",
        }

    @app.post(**upload_route("checkins"))
    async def checkins(
        request: Request, device_id: AuthenticatedDevice, idempotency_key: IdempotencyKey, batch: CheckinBatch
    ) -> UploadResult:
        return await store(request, device_id, idempotency_key, "checkins", batch)

    @app.post(**upload_route("audit"))
    async def audit(
        request: Request, device_id: AuthenticatedDevice, idempotency_key: IdempotencyKey, batch: AuditBatch
    ) -> UploadResult:
        return await store(request, device_id, idempotency_key, "audit", batch)

    @app.post(**upload_route("aggregates"))
    async def aggregates(
        request: Request,
        device_id: AuthenticatedDevice,
        idempotency_key: IdempotencyKey,
        batch: AggregateBatch,
    ) -> UploadResult:
        return await store(request, device_id, idempotency_key, "aggregates", batch)

    @app.post(
        "/v1/devices/{device_id}/deletion-acks",
        response_model=DeletionAckResult,
        responses=_ERRORS,
        summary="Acknowledge that customers were forgotten",
        operation_id="acknowledgeDeletions",
    )
    async def deletion_acks(device_id: AuthenticatedDevice, acks: DeletionAcks) -> DeletionAckResult:
        return DeletionAckResult(acknowledged=db.acknowledge_deletions(device_id, acks.customer_refs))

    app.openapi = lambda: _contract(app)  # type: ignore[method-assign]
    return app


def _contract(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the three signing headers as one requirement (all, not any, of them)."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for operations in document["paths"].values():
            for operation in operations.values():
                if "security" in operation:
                    operation["security"] = [{"DeviceId": [], "Timestamp": [], "Signature": []}]
        app.openapi_schema = document
    return app.openapi_schema
