"""Every identification, cue, enrollment, deletion and consent change leaves an audit record: who,
when, score band, which screen, which rule. None carries a template, an image or a profile."""

from __future__ import annotations

import json
from pathlib import Path

from device.checkin.desk import CheckinDesk
from device.cues.board import cue_shown
from device.domain import Consent, Identification, Profile
from device.enrollment.enroll import consent_audits
from device.privacy.forgetting import kiosk_withdrawal
from device.state.store import Store
from sync.models import AuditRecord as WireAudit
from tests.conftest import random_templates
from tests.keys import CIPHER


def audits(store: Store) -> list[dict[str, object]]:
    return [r for r in store.outbox.records() if "event" in r]


def test_each_identification_is_audited_with_its_band_and_rule_new_visit_or_not(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(Profile("C1", "Grace"), Consent("v1"), random_templates(1))
    desk = CheckinDesk(store, "b1", "door-1", 600, rule="open-set: tolerance 0.5")
    checkin = desk.admit(Identification("C1", 0.45, 0.9, 1), 1000.0)
    assert checkin is not None
    assert desk.admit(Identification("C1", 0.30, 0.9, 2), 1100.0) is None
    store.record_audit(cue_shown(checkin, "branchdoor/b1/cues", 180))
    trail = audits(store)
    assert [(a["event"], a["customer_ref"], a["score_band"]) for a in trail] == [
        ("identification", "C1", "medium"),
        ("identification", "C1", "high"),
        ("cue_shown", "C1", "medium"),
    ]
    assert trail[0]["rule"] == "open-set: tolerance 0.5; new visit"
    assert trail[1]["rule"] == "open-set: tolerance 0.5; same visit"
    assert trail[2]["screen"] == "branchdoor/b1/cues" and checkin.visit_id in str(trail[2]["detail"])


def test_enrollment_consent_and_withdrawal_are_audited_with_the_notice_terms(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    consent = Consent("notice-2026-03", channel="kiosk-enrollment")
    store.enroll(
        Profile("C1", "Grace"),
        consent,
        random_templates(2),
        audits=consent_audits("C1", consent, "enrollment"),
    )
    store.forget("C1", kiosk_withdrawal("C1", "operator", "branchdoor forget"))
    trail = audits(store)
    assert [a["event"] for a in trail] == ["consent_withdrawn", "customer_forgotten"]  # the rest went with C1
    store.enroll(
        Profile("C2", "Ada"), consent, random_templates(1), audits=consent_audits("C2", consent, "enrollment")
    )
    granted = [a for a in audits(store) if a["customer_ref"] == "C2"]
    assert [a["event"] for a in granted] == ["consent_granted", "enrollment"]
    assert "notice-2026-03" in str(granted[0]["rule"]) and "kiosk-enrollment" in str(granted[0]["detail"])


def test_no_audit_record_carries_biometric_or_profile_content(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    template = random_templates(1)
    consent = Consent("v1")
    store.enroll(
        Profile("C1", "Grace", "en", ("mortgage",)),
        consent,
        template,
        audits=consent_audits("C1", consent, "enrollment"),
    )
    CheckinDesk(store, "b1", "door-1", 600).admit(Identification("C1", 0.3, 0.9, 1), 1.0)
    for record in audits(store):
        WireAudit.model_validate(record)
        text = json.dumps(record)
        assert "Grace" not in text and "mortgage" not in text
        assert f"{float(template[0][0]):.6f}"[:8] not in text
        assert not any(isinstance(v, list) for v in record.values())
