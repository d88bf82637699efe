"""The check-in path without a face: a token under the scanner makes the same check-in and cue."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.faults import Faults
from device.checkin.desk import CheckinDesk
from device.checkin.scanner import WITHDRAW_CODE, WITHDRAW_WINDOW_S, ScannerCheckins
from device.domain import CheckIn, Consent, Profile
from device.state.store import Store
from drivers.serial.readings import Reading, ScanReading
from tests.disks import small_disk
from tests.waiting import eventually


def kiosk(tmp_path: Path) -> tuple[ScannerCheckins, Store, str, list[CheckIn]]:
    store = Store(tmp_path / "s.db")  # no key: a token customer has no face template
    token = store.issue_token(Profile("C7", "Lin", "zh", ("pension",), ("hard of hearing",)), Consent("v2"))
    cues: list[CheckIn] = []
    return ScannerCheckins(store, CheckinDesk(store, "b1", "door-1", 600), cues.append), store, token, cues


def test_a_token_checks_its_customer_in_with_the_same_check_in_a_face_would_make(tmp_path: Path) -> None:
    scanner, store, token, cues = kiosk(tmp_path)
    assert scanner.handle(token, 1000.0) == "checked_in"
    [checkin] = cues
    assert checkin.customer_ref == "C7" and checkin.profile.greeting_name == "Lin"
    assert checkin.profile.service_hints == ("hard of hearing",)
    assert checkin.channel == "token"  # the teller's card says so, not "high confidence"
    assert [(r[1], r[2]) for r in store.checkins.all()] == [("C7", 1000.0)]
    events = [r["event"] for r in store.outbox.records() if r.get("event")]
    assert events.count("scanner_checkin") == 1


def test_the_same_token_again_within_the_visit_makes_no_second_cue(tmp_path: Path) -> None:
    scanner, _store, token, cues = kiosk(tmp_path)
    assert scanner.handle(token, 1000.0) == "checked_in"
    assert scanner.handle(token, 1010.0) == "same_visit"
    assert len(cues) == 1


def test_unknown_and_malformed_codes_are_counted_and_refused(tmp_path: Path) -> None:
    scanner, store, token, cues = kiosk(tmp_path)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert scanner.handle(forged, 1.0) == "unknown"
    assert scanner.handle("6222 0200 1234 5678", 1.0) == "malformed"  # a bank card number is no token
    assert scanner.handle("", 1.0) == "malformed"
    assert (scanner.stats.unknown, scanner.stats.malformed, scanner.stats.checked_in) == (1, 2, 0)
    assert cues == [] and store.checkins.all() == []


def test_the_token_itself_is_never_stored_only_its_hash(tmp_path: Path) -> None:
    _scanner, store, token, _cues = kiosk(tmp_path)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert token.encode() not in raw and token[4:].encode() not in raw
    assert store.tokens.holder(token) == "C7"


def test_withdrawal_at_the_kiosk_forgets_the_customer_at_once_and_queues_it_upstream(tmp_path: Path) -> None:
    scanner, store, token, cues = kiosk(tmp_path)
    assert scanner.handle(WITHDRAW_CODE, 1000.0) == "withdraw_armed"
    assert scanner.handle(token, 1005.0) == "withdraw_pending"
    assert store.profile("C7") is not None  # nothing happens before the confirmation
    assert scanner.handle(WITHDRAW_CODE, 1008.0) == "withdrawn"
    assert store.profile("C7") is None and store.tokens.holder(token) is None and cues == []
    upstream = sorted(r["event"] for r in store.outbox.records() if r.get("customer_ref") == "C7")
    assert upstream == ["consent_withdrawn", "customer_forgotten"]
    assert scanner.handle(token, 1010.0) == "unknown"  # the card no longer works


def test_the_withdrawal_code_expires_and_a_later_scan_is_an_ordinary_check_in(tmp_path: Path) -> None:
    scanner, store, token, cues = kiosk(tmp_path)
    scanner.handle(WITHDRAW_CODE, 1000.0)
    assert scanner.handle(token, 1000.0 + WITHDRAW_WINDOW_S + 1) == "checked_in"
    assert store.profile("C7") is not None and len(cues) == 1


def test_a_customer_who_walks_away_halfway_cannot_withdraw_the_next_one(tmp_path: Path) -> None:
    scanner, store, token, cues = kiosk(tmp_path)
    scanner.handle(WITHDRAW_CODE, 1000.0)  # someone arms a withdrawal and leaves
    assert scanner.handle(token, 1004.0) == "withdraw_pending"  # the next customer only checks in
    assert scanner.handle(token, 1006.0) == "checked_in"  # scanning again is an ordinary check-in
    assert scanner.handle(WITHDRAW_CODE, 1008.0) == "withdraw_armed"  # no confirmation left to give
    assert store.profile("C7") is not None and len(cues) == 1


def test_a_pending_withdrawal_lapses_with_the_window(tmp_path: Path) -> None:
    scanner, store, token, _cues = kiosk(tmp_path)
    scanner.handle(WITHDRAW_CODE, 1000.0)
    scanner.handle(token, 1005.0)
    assert scanner.handle(WITHDRAW_CODE, 1005.0 + WITHDRAW_WINDOW_S + 1) == "withdraw_armed"
    assert store.profile("C7") is not None


@pytest.mark.subprocess
def test_a_token_check_in_a_full_disk_refuses_waits_and_lands_once_with_its_cue(tmp_path: Path) -> None:
    with small_disk(tmp_path / "state", "2m") as disk:
        store = Store(disk.path / "s.db")
        token = store.issue_token(Profile("C7", "Lin"), Consent("v2"))
        cues: list[CheckIn] = []
        faults = Faults()
        scanner = ScannerCheckins(store, CheckinDesk(store, "b1", "door-1", 600), cues.append, faults)
        try:
            disk.fill()
            assert scanner.handle(token, time.time()) == "waiting"
            refused = "scanner: cannot record check-ins (database or disk is full)"
            assert [str(f) for f in faults.current()] == [refused]
            assert cues == [] and store.checkins.all() == []
            disk.grow("64m")

            def retried() -> bool:
                scanner.retry()  # what the supervising loop does every second
                return len(cues) == 1

            assert eventually(retried, 30)
            assert [r[1] for r in store.checkins.all()] == ["C7"] and faults.current() == []
            scanner.retry()
            assert len(cues) == 1 and scanner.stats.waiting == 1
        finally:
            store.close()


class FlakySource:
    """Codes as a scanner reads them, with a failure of the reader (unplugged mid-read) once."""

    def __init__(self, *codes: str) -> None:
        self.codes = list(codes)
        self.times_read = 0

    def readings(self, stop: threading.Event) -> Iterator[Reading]:
        self.times_read += 1
        while self.codes and not stop.is_set():
            if self.times_read == 1 and len(self.codes) == 1:
                raise OSError(5, "Input/output error")
            yield ScanReading(self.codes.pop(0))
        stop.wait()  # no more codes: a reader waits for the next until told to stop


def test_a_scanner_whose_reader_fails_is_read_again(tmp_path: Path) -> None:
    scanner, _store, token, cues = kiosk(tmp_path)
    source, stop = FlakySource("not a token", token), threading.Event()
    thread = threading.Thread(target=scanner.run, args=(source, stop, time.time), name="scanner")
    thread.start()
    try:
        assert eventually(lambda: len(cues) == 1, 30)
        assert source.times_read == 2 and scanner.stats.malformed == 1 and thread.is_alive()
        assert scanner.faults.totals() == {"scanner": 1} and scanner.faults.current() == []
    finally:
        stop.set()
        thread.join(5)
