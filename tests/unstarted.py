"""A pipeline that has not started, for the tests that assemble a daemon's parts by hand: health reads
its counters."""

from __future__ import annotations

import time


class UnstartedPipeline:
    class stats:
        frames_captured = 0
        last_frame_at = None

    worker_heartbeat = time.monotonic()
    dropped_frames = 0
    camera_problem = None
    gallery: tuple[()] = ()
