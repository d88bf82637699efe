"""What the device must let go of (retention, forgetting) and the key that seals the rest."""
