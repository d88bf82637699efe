"""An identification or a scanned token becomes at most one visit, audited."""
