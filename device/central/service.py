"""Keeping the device in step with the central account service, on one thread.

Each cycle pulls the gallery page by page (each page applied whole with its cursor, so a power cut
replays at most one page), then drains the outbox. A withdrawal therefore leaves the database within
one cycle, the running recognizer within a second after that (it watches the database), and is
acknowledged upstream in the next drain.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from dataclasses import dataclass

import numpy as np

from common.backoff import Backoff
from common.faults import Faults
from device.central.alarm import Stage, SyncAlarm
from device.domain import AuditRecord, Consent, Profile
from device.privacy.forgetting import central_deletion
from device.state.store import Store, Vectors
from sync.client import CentralClient, CentralError, Gone
from sync.gallery import ReadPage
from sync.models import GalleryDelete, GalleryUpsert
from sync.uploader import DrainReport, drain

log = logging.getLogger(__name__)

MAX_PAGES_PER_CYCLE = 10_000


@dataclass
class SyncReport:
    pages: int = 0
    upserts: int = 0
    deletions: int = 0
    refused: int = 0
    resynced: bool = False
    drained: DrainReport | None = None


def _profile(item: GalleryUpsert) -> tuple[Profile, Consent, Vectors]:
    profile = Profile(
        customer_ref=item.customer_ref,
        greeting_name=item.greeting_name,
        language=item.language,
        interests=tuple(item.interests),
        service_hints=tuple(item.service_hints),
        birth_year_band=item.birth_year_band,
    )
    consent = Consent(
        notice_version=item.consent.notice_version,
        purpose=item.consent.purpose,
        scope=" ".join(item.consent.scope),
        channel=item.consent.channel,
        granted_at=item.consent.granted_at.timestamp(),
    )
    return profile, consent, np.asarray(item.templates, dtype=np.float32)


def _refusal_audit(customer_ref: str | None, reason: str) -> AuditRecord:
    return AuditRecord(
        event="gallery_item_refused", customer_ref=customer_ref, actor="central", detail=reason
    )


# Each cycle's wait is the interval ± this share of it.
INTERVAL_JITTER = 0.1


class CentralSync:
    def __init__(
        self,
        store: Store,
        client: CentralClient,
        interval_s: float = 60.0,
        batch_size: int = 500,
        outbox_budget_bytes: int = 200 * 1024 * 1024,
        faults: Faults | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self._rng = rng or random.Random()
        self._store = store
        self.outbox_budget_bytes = outbox_budget_bytes
        self.over_budget = False  # the alarm, for health reporting
        self._client = client
        self.interval_s = interval_s
        self.batch_size = batch_size
        self.last_success: float | None = None
        self.errors = 0
        self.alarm = SyncAlarm()
        self.records_set_aside = 0  # refused by the central service as malformed, since start

    def _apply(self, page: ReadPage) -> tuple[int, int, int]:
        upserts = [_profile(i) for i in page.items if isinstance(i, GalleryUpsert)]
        staff = {i.customer_ref for i in page.items if isinstance(i, GalleryUpsert) and i.role == "staff"}
        deletions = [i.customer_ref for i in page.items if isinstance(i, GalleryDelete)]
        # A refused item must not leave an older, still-held version of that customer behind.
        deletions += [r.customer_ref for r in page.refused if r.customer_ref is not None]
        audits = [_refusal_audit(r.customer_ref, r.reason) for r in page.refused]
        audits += [
            central_deletion(i.customer_ref, i.reason) for i in page.items if isinstance(i, GalleryDelete)
        ]
        for refused in page.refused:
            log.warning("gallery item refused (in the audit trail): %s", refused.reason)
        self._store.apply_gallery_delta(upserts, deletions, page.next_cursor, audits, staff=staff)
        return len(upserts), len(deletions), len(page.refused)

    def sync_once(self) -> SyncReport:
        """Pull every waiting gallery change, then upload. Raises CentralError when the service fails:
        the first failure in a row raises the alarm, the next success clears it."""
        report = SyncReport()
        stage: Stage = "gallery pulls"
        try:
            self._pull(report)
            stage = "uploads"
            report.drained = drain(self._client, self._store.outbox, self.batch_size)
            self.records_set_aside += report.drained.quarantined
            if report.drained.error is not None:
                raise report.drained.error
        except Exception as exc:
            # The device's own database failing is not the service refusing: that is the `central`
            # fault `run` reports, not this alarm about the service.
            if not isinstance(exc, sqlite3.Error):
                self.alarm.failed(exc, stage)
            raise
        self.alarm.cleared()
        self.last_success = time.time()
        return report

    def _pull(self, report: SyncReport) -> None:
        cursor = self._store.gallery_cursor()
        for _ in range(MAX_PAGES_PER_CYCLE):
            try:
                page = self._client.pull_gallery(cursor, self.batch_size)
            except Gone:
                if report.resynced:
                    raise
                log.warning("central service answered 410 Gone: wiping the gallery and resyncing")
                self._store.wipe_gallery()
                report.resynced, cursor = True, None
                continue
            upserts, deletions, refused = self._apply(page)
            report.pages += 1
            report.upserts += upserts
            report.deletions += deletions
            report.refused += refused
            cursor = page.next_cursor
            if not page.more:
                break

    def check_budget(self) -> None:
        budget = self._store.outbox.enforce_budget(self.outbox_budget_bytes)
        if budget.aggregates_dropped:
            log.warning(
                "outbox over budget: dropped the %d oldest aggregate records", budget.aggregates_dropped
            )
        if budget.over_budget and not self.over_budget:
            log.error(
                "ALARM: %.1f MB of records wait for the central service (budget %.1f MB); check-ins and "
                "audit records are kept, never dropped: restore the connection or raise the budget",
                budget.queued_bytes / 2**20,
                budget.budget_bytes / 2**20,
            )
        self.over_budget = budget.over_budget

    def run(self, stop: threading.Event) -> None:
        """Cycles until `stop`. A service that fails is retried with backoff, records staying queued; a
        failure of the device's own side (its database) is the `central` fault health shows, retried
        the same way and cleared by the next whole cycle. Nothing here ends the thread."""
        backoff = Backoff(min(5.0, self.interval_s), max(self.interval_s, 300.0))
        while not stop.is_set():
            try:
                self.check_budget()
                report = self.sync_once()
            except CentralError as exc:
                self.errors += 1
                delay = backoff.next_delay()
                # The alarm said it once, in words for people; this is the trace of each attempt.
                log.info("central sync failed (%s); retrying in %.0fs, records stay queued", exc, delay)
                stop.wait(delay)
                continue
            except Exception as exc:
                self.errors += 1
                self.faults.report("central", "sync", exc)
                stop.wait(backoff.next_delay())
                continue
            backoff.reset()
            self.faults.clear("central", "sync")
            if (
                report.upserts
                or report.deletions
                or report.refused
                or (report.drained and report.drained.sent)
            ):
                log.info(
                    "central sync: %d upserts, %d deletions, %d refused, %d records sent",
                    report.upserts,
                    report.deletions,
                    report.refused,
                    report.drained.sent if report.drained else 0,
                )
            stop.wait(self.next_interval_s())

    def next_interval_s(self) -> float:
        """The configured interval, give or take INTERVAL_JITTER: kiosks started together (a region's
        power cut, a rollout) would otherwise poll head office in step for good (docs/FLEET.md)."""
        return self.interval_s * (1.0 + INTERVAL_JITTER * (2.0 * self._rng.random() - 1.0))
