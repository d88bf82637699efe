"""Tests for the floor model: counts, dwell, queues, bins and the heat map."""
