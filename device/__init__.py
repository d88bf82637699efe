"""The branchdoor daemon, one package per capability; docs/ARCHITECTURE.md is the map."""
