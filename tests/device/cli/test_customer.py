"""The customer arguments of `enroll` and `token issue`: one definition, checked at the command line."""

from __future__ import annotations

import argparse

import pytest

from device.cli.customer import add_customer_arguments, customer_from

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
