"""`branchdoor token issue --qr FILE`: the token as a QR code to print, read back by a real decoder."""

from __future__ import annotations

import io
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import segno

from device.cli import main
from device.state.store import Store
from device.state.tokens import well_formed
from tests.device.state.kiosk_files import kiosk_config

CUSTOMER = ["--customer", "CUST-1002", "--name", "Lin", "--consent-version", "notice-2026-03"]


def issue(config: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["token", "issue", "--config", str(config), *CUSTOMER, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def token_in(out: str) -> str:
    token = out.splitlines()[1]
    assert well_formed(token), out
    return token


def decode_qr(image: np.ndarray) -> str:
    """OpenCV's classic QR detector misses some valid codes outright (data-dependent: it found nothing
    in the card for BDT-ZACKKAER6QJVXGXU7LNBUV4YBH); its ArUco-based detector is asked when it does."""
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        decoded, _points, _straight = detector.detectAndDecode(image)
        if decoded:
            return str(decoded)
    return ""


def test_the_png_decodes_to_the_token_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = tmp_path / "card.png"
    code, out, err = issue(kiosk_config(tmp_path), capsys, "--qr", str(card))
    assert code == 0, err
    token = token_in(out)
    image = cv2.imread(str(card))
    assert image is not None, "not a PNG an image library reads"
    assert decode_qr(image) == token
    expected = segno.make(token, error="m")
    assert image.shape[:2] == expected.symbol_size(scale=10, border=4)  # every module, and the quiet zone
    assert card.stat().st_mode & 0o777 == 0o600
    assert re.search(rf"wrote the QR code to {card} \(version {expected.version}, 25 x 25 modules", out)


def test_the_svg_is_segnos_encoding_of_the_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = tmp_path / "card.SVG"
    code, out, err = issue(kiosk_config(tmp_path), capsys, "--qr", str(card))
    assert code == 0, err
    expected = io.BytesIO()
    segno.make(token_in(out), error="m").save(expected, kind="svg", scale=10, border=4)
    assert card.read_bytes() == expected.getvalue()
    assert re.match(rb'<\?xml[^>]*>\s*<svg [^>]*width="330" height="330"', card.read_bytes())
    assert card.stat().st_mode & 0o777 == 0o600


def test_another_kind_of_file_is_refused_before_a_token_is_issued(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk_config(tmp_path)
    with pytest.raises(SystemExit) as refused:
        issue(config, capsys, "--qr", str(tmp_path / "card.pdf"))
    assert refused.value.code == 2
    assert "expected a file name ending in .png or .svg" in capsys.readouterr().err
    code, out, err = issue(config, capsys, "--qr", str(tmp_path / "no-such-folder" / "card.png"))
    assert code == 1 and out == ""
    assert f"no such directory {tmp_path / 'no-such-folder'}" in err
    store = Store(tmp_path / "state" / "branchdoor.db")
    try:
        assert store.customer_count() == 0, "a token was issued that nobody can print"
    finally:
        store.close()


def test_a_file_or_link_already_there_is_never_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a shared print folder, another user's `card.png` would keep its owner and hand them the token."""
    config = kiosk_config(tmp_path)
    theirs = tmp_path / "card.png"
    theirs.write_bytes(b"someone else's picture")
    theirs.chmod(0o644)
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "elsewhere.png")
    for target in (theirs, link):
        code, out, err = issue(config, capsys, "--qr", str(target))
        assert (code, out) == (1, ""), err
        assert f"--qr {target}: already exists; delete it first" in err
    assert theirs.read_bytes() == b"someone else's picture" and not (tmp_path / "elsewhere.png").exists()
