"""A reference central account service: the sync contract served over its own SQLite file.

For tests, the demo and a bank's integration team; not production code. `CentralSim` runs it in this
process, `python -m sync.central_sim` as a server.
"""

from sync.central_sim.app import create_app
from sync.central_sim.db import CentralDb
from sync.central_sim.device_keys import MasterSecret
from sync.central_sim.faults import Faults
from sync.central_sim.runner import CentralSim

__all__ = ["CentralDb", "CentralSim", "Faults", "MasterSecret", "create_app"]
