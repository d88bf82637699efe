"""The daemon's one broker connection, its topic tree and its published contract."""
