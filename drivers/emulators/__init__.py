"""Simulated hardware in one place: ptys that unplug like USB, scripted walkers, byte-exact sensors."""
