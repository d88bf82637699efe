"""A real fleet identity (this machine's versions, a plain configuration's digest) for the tests that
assemble a daemon's parts by hand: every health verdict carries one."""

from __future__ import annotations

from device.config import BranchConfig, Config
from device.runtime.identity import FleetIdentity, fleet_identity

IDENTITY: FleetIdentity = fleet_identity(Config(branch=BranchConfig(id="b1")))
