"""`python -m device.mqtt.contract` rewrites device/mqtt/contract/asyncapi.json from the models."""

from device.mqtt.contract.asyncapi import DOCUMENT_PATH, render

DOCUMENT_PATH.write_text(render(), encoding="utf-8")
print(f"wrote {DOCUMENT_PATH}")
