"""`branchdoor run`: assemble the parts, supervise them, talk to systemd, serve health, stop cleanly."""
