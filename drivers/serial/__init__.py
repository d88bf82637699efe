"""Serial sensors: pure byte parsers, one per protocol, behind a reconnecting port reader."""
