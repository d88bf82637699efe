"""Branch operations from the forecast: counters to open, the expected wait, the live queue alert."""
