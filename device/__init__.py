"""The branchdoor daemon: pipeline, state and command line. Wires drivers/ and sync/ together."""
