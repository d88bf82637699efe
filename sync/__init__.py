"""Sync with the bank's central account service: gallery deltas down, check-ins and audit records up.

Knows HTTP and the central contract; never imports drivers/. The daemon (device/) wires it in.

The contract is `sync/openapi.json`, generated from the wire models in `sync/models.py`; requests are
signed with `sync/signing.py`; `sync/gallery.py` reads a gallery page item by item; `sync/central_sim`
is a reference central service for tests, the demo and integrators.
"""
