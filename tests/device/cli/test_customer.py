"""The customer arguments of `enroll` and `token issue`: one definition, checked at the command line; and
`customers list|show`: what the kiosk holds about each customer, never a template or a token."""

from __future__ import annotations

import argparse
import base64
import re
import sqlite3
import time
from pathlib import Path

import pytest

from device.cli import main
from device.cli.customer import add_customer_arguments, customer_from
from device.domain import CheckIn, Consent, Profile
from device.privacy.keys import read_key
from device.state.store import Store
from tests.conftest import random_templates
from tests.device.state.kiosk_files import kiosk_config
from tests.keys import key_file

REQUIRED = ["--customer", "C1", "--name", "Ada", "--consent-version", "v3"]


def parse(*extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_customer_arguments(parser, channel="kiosk-token")
    return parser.parse_args([*REQUIRED, *extra])


def test_the_profile_and_consent_carry_what_was_given() -> None:
    profile, consent = customer_from(
        parse(
            "--interest",
            "mortgages",
            "--interest",
            "savings",
            "--hint",
            "prefers a seat",
            "--birth-year-band",
            "1980-1989",
        )
    )
    assert (profile.customer_ref, profile.greeting_name) == ("C1", "Ada")
    assert profile.interests == ("mortgages", "savings") and profile.service_hints == ("prefers a seat",)
    assert profile.birth_year_band == "1980-1989"
    assert (consent.notice_version, consent.channel) == ("v3", "kiosk-token") and consent.granted_at > 0


@pytest.mark.parametrize("band", ["1985-1994", "1980-1990", "80-89", "1980"])
def test_a_birth_year_band_other_than_one_decade_is_refused(
    band: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse("--birth-year-band", band)
    assert "expected one decade, e.g. 1980-1989" in capsys.readouterr().err


SHOWN = [
    "customer", "greeting name", "language", "interests", "service hints", "birth-year band", "consent",
    "face templates", "check-in tokens", "enrolled", "check-ins held", "uploads waiting",
]  # fmt: skip


def kiosk_with_two_customers(folder: Path) -> tuple[Path, str]:
    """Grace, enrolled by face, with a check-in; Lin, with a check-in token only: the config, Lin's token."""
    config = kiosk_config(folder)
    store = Store(folder / "state" / "branchdoor.db", read_key(key_file(folder)))
    try:
        grace = Profile("CUST-1001", "Grace", "en", ("mortgage advice",), ("prefers a seat",), "1980-1989")
        store.enroll(grace, Consent("notice-2026-03", granted_at=time.time()), random_templates(3))
        store.checkins.record(CheckIn("visit-1", "CUST-1001", "b1", "door-1", time.time(), "high", grace))
        token = store.issue_token(
            Profile("CUST-1002", "Lin", "zh"),
            Consent("notice-2026-03", channel="kiosk-token", granted_at=1.0),
        )
    finally:
        store.close()
    return config, token


def run(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    code = main(list(words))
    out, err = capsys.readouterr()
    return code, out, err


def test_customers_list_shows_one_line_each_without_biometrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _token = kiosk_with_two_customers(tmp_path)
    code, out, err = run(capsys, "customers", "list", "--config", str(config))
    assert code == 0, err
    header, grace, lin, footer = out.splitlines()
    assert header.split() == ["ref", "name", "consent", "templates", "tokens", "enrolled", "last", "check-in"]
    day, minute = r"\d{4}-\d\d-\d\d", r"\d{4}-\d\d-\d\d \d\d:\d\d"
    assert re.fullmatch(rf"CUST-1001 +Grace +notice-2026-03, {day} +3 +0 +{day} +{minute}", grace)
    assert re.fullmatch(rf"CUST-1002 +Lin +notice-2026-03, 1970-01-01 +0 +1 +{day} +-", lin)
    assert footer.startswith("2 customer(s). Face templates are counted, never shown")


def test_customers_show_says_what_is_held_and_never_a_template_or_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, token = kiosk_with_two_customers(tmp_path)
    code, out, err = run(capsys, "customers", "show", "CUST-1001", "--config", str(config))
    assert code == 0, err
    lines = out.splitlines()
    assert [line[:17].strip() for line in lines[:-1]] == SHOWN
    held = {line[:17].strip(): line[17:] for line in lines[:-1]}
    assert held["interests"] == "mortgage advice" and held["birth-year band"] == "1980-1989"
    assert (
        held["consent"].startswith("given ")
        and "to notice notice-2026-03 (purpose branch-check-in" in held["consent"]
    )
    assert held["face templates"] == "3 (sealed; in the gallery)"
    assert held["check-ins held"].startswith("1, the last ")
    with sqlite3.connect(tmp_path / "state" / "branchdoor.db") as raw:
        sealed = [bytes(row[0]) for row in raw.execute("SELECT vector FROM encodings")]
    for blob in sealed:
        assert blob.hex()[:16] not in out and base64.b64encode(blob)[:16].decode() not in out
    assert f"{random_templates(3)[0][0]:.4f}" not in out

    code, out, err = run(capsys, "customers", "show", "CUST-1002", "--config", str(config))
    assert code == 0, err
    assert "face templates   none: not recognised by face" in out and "check-in tokens  1" in out
    assert token not in out and token[4:] not in out


def test_control_characters_in_a_stored_name_are_shown_as_escapes_never_sent_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Profiles come from the central service: an OSC sequence in a name could rewrite a terminal."""
    config = kiosk_config(tmp_path)
    store = Store(tmp_path / "state" / "branchdoor.db", read_key(key_file(tmp_path)))
    try:
        store.issue_token(Profile("CUST-9", "Ada\x1b]0;owned\x07", "en", ("a\x1b[2Jb",)), Consent("n-1"))
    finally:
        store.close()
    for words in (("list",), ("show", "CUST-9")):
        code, out, err = run(capsys, "customers", *words, "--config", str(config))
        assert code == 0, err
        assert "\x1b" not in out and "\x07" not in out
        assert "Ada\\x1b]0;owned\\x07" in out
    assert "a\\x1b[2Jb" in out


def test_a_forgotten_customer_is_shown_as_nothing_held(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _token = kiosk_with_two_customers(tmp_path)
    assert run(capsys, "forget", "CUST-1001", "--config", str(config))[0] == 0
    assert run(capsys, "customers", "show", "CUST-1001", "--config", str(config)) == (
        1, "nothing held about CUST-1001\n", ""
    )  # fmt: skip
    code, out, _err = run(capsys, "customers", "list", "--config", str(config))
    assert code == 0 and "CUST-1001" not in out and out.splitlines()[-1].startswith("1 customer(s).")


def test_without_a_database_it_says_so_and_creates_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk_config(tmp_path)
    code, out, err = run(capsys, "customers", "list", "--config", str(config))
    assert code == 1 and out == ""
    database = tmp_path / "state" / "branchdoor.db"
    assert err == f"branchdoor: no database at {database}: nothing held (is this the kiosk's config?)\n"
    assert not (tmp_path / "state").exists()


def test_enroll_staff_enrolls_a_member_of_staff_and_plain_enroll_a_customer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], astronaut_head: Path, grace_photo: Path
) -> None:
    config = str(kiosk_config(tmp_path))
    who = ["--consent-version", "v1", "--config", config]
    code, out, err = run(
        capsys, "enroll", "--staff", "--customer", "S1", "--name", "Sam", *who, str(astronaut_head)
    )
    assert code == 0, err
    assert out.startswith("enrolled S1 as staff: 1 photo(s) used")
    code, out, err = run(capsys, "enroll", "--customer", "C1", "--name", "Grace", *who, str(grace_photo))
    assert code == 0 and out.startswith("enrolled C1: 1 photo(s) used"), err
    store = Store(tmp_path / "state" / "branchdoor.db", read_key(key_file(tmp_path)))
    assert store.roles.staff() == {"S1"} and store.roles.of("C1") == "customer"
    terms = [r["rule"] for r in store.outbox.records() if r["customer_ref"] == "S1"]
    assert terms and all(t.endswith("; as staff") for t in terms)  # the consent audited says what for
    store.close()
