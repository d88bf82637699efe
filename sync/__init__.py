"""Sync with the bank's central account service: gallery deltas down, check-ins and audit records up.

Knows HTTP and the central contract; never imports drivers/. The daemon (device/) wires it in.
"""
