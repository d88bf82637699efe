"""`[dashboard]`: the reference teller dashboard the daemon can serve on the branch LAN (off by default)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from common.net import check_listen_address, parse_url
from common.sections import Section


class DashboardConfig(Section):
    enabled: bool = Field(
        False, description="Serve the dashboard. Off by default: a kiosk opens no LAN port unless asked."
    )
    host: Annotated[str, AfterValidator(check_listen_address)] = Field(
        "127.0.0.1", description="Address to listen on; the kiosk's LAN address in a branch."
    )
    port: int = Field(8080, ge=0, le=65535, description="0 picks a free port (tests).")
    broker_ws_url: str = Field(
        "ws://127.0.0.1:9001",
        description="The broker's MQTT-over-WebSockets address as the tellers' browsers reach it "
        "(wss:// in a branch).",
    )

    @field_validator("broker_ws_url")
    @classmethod
    def _judgeable(cls, url: str) -> str:
        # Served to every browser that opens the page: no credentials in it, and the page's
        # Content-Security-Policy follows its parsed scheme.
        parse_url(url, ("ws", "wss"))
        return url
