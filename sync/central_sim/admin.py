"""Admin endpoints of the sim: switch faults, seed the gallery, read what arrived. Never in a real service.

They carry no authentication, which is why they live on the sim only and stay out of the contract.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from sync.central_sim.db import CentralDb, RecordKind
from sync.central_sim.faults import Faults, FaultSwitch
from sync.models import GalleryUpsert


def admin_router(db: CentralDb, switch: FaultSwitch) -> APIRouter:
    router = APIRouter(prefix="/admin", include_in_schema=False)

    @router.get("/faults")
    def read_faults() -> Faults:
        return switch.current

    @router.post("/faults")
    def set_faults(faults: Faults) -> Faults:
        if faults.mode == "gone":
            # Applied at once: every cursor handed out so far answers 410 until the device starts over.
            db.expire_cursors()
            faults = Faults()
        switch.set(faults)
        return switch.current

    @router.post("/customers")
    def enroll(customer: GalleryUpsert) -> dict[str, int]:
        return {"seq": db.enroll(customer)}

    @router.delete("/customers/{customer_ref}")
    def withdraw(customer_ref: str, reason: Literal["withdrawn", "deleted"] = "withdrawn") -> dict[str, int]:
        return {"seq": db.withdraw(customer_ref, reason)}

    @router.get("/records/{kind}")
    def records(kind: RecordKind) -> dict[str, int]:
        return db.records(kind)

    @router.get("/deletion-acks")
    def deletion_acks() -> dict[str, list[str]]:
        return db.deletion_acks()

    return router
