"""Known values cut out of text written by others, whole, however they overlap."""

from __future__ import annotations

from common.redaction import redact


def test_every_value_goes_whole_and_nothing_else_changes() -> None:
    text = "refused {'customer_ref': 'CUST-10'}, {'customer_ref': 'CUST-1'}; CUST-1 again"
    redacted = redact(text, ["CUST-1", "CUST-10", None, ""], "<ref>")
    assert redacted == "refused {'customer_ref': '<ref>'}, {'customer_ref': '<ref>'}; <ref> again"
    assert redact("nothing to cut", [7, "absent"], "<ref>") == "nothing to cut"
