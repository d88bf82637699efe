"""`python -m device.contract` rewrites device/contract/asyncapi.json from the models."""

from device.contract.asyncapi import DOCUMENT_PATH, render

DOCUMENT_PATH.write_text(render(), encoding="utf-8")
print(f"wrote {DOCUMENT_PATH}")
