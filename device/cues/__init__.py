"""A teller cue's life: build, route, replay, withdraw, and the teller's verdict."""
