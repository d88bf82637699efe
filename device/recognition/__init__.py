"""Frames in, identifications out: motion, detection, tracking, encoding, gallery search, open-set rule."""
