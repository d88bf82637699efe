"""Where face templates are computed: in the recognition thread, or in a worker process.

dlib's encoder holds Python's GIL for its ~80 ms a face. In the recognition thread that stalls the
capture thread too, so frames queue in the camera driver and get late timestamps. In a worker
process the recognition thread merely waits on a pipe (which releases the GIL), capture and HOG
detection keep running, and a second core, where there is one, does the encoding.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from typing import Literal, Protocol

import numpy as np

from device.recognition.faces import Box, FaceEngine, Image, Template

log = logging.getLogger(__name__)

EncoderKind = Literal["auto", "inline", "process"]
REPLY_TIMEOUT_S = 10.0


class Encoder(Protocol):
    def encode(self, image: Image, boxes: list[Box]) -> list[Template]: ...

    def close(self) -> None: ...


class InlineEncoder:
    def __init__(self, engine: FaceEngine | None = None) -> None:
        self._engine = engine or FaceEngine()

    def encode(self, image: Image, boxes: list[Box]) -> list[Template]:
        return self._engine.encode(image, boxes)

    def close(self) -> None:
        pass


def _serve(connection: Connection) -> None:
    # The daemon decides when the worker stops (it closes the pipe); a Ctrl-C or systemd's SIGTERM to
    # the whole group must not kill it mid-encoding with a traceback. A dead parent means EOF: exit.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    engine = FaceEngine()
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        crop, boxes = request
        connection.send(engine.encode(crop, boxes))


class EncoderUnavailable(RuntimeError):
    pass


class ProcessEncoder:
    """Sends only the faces' surroundings (not the frame) to the worker, and falls back to encoding
    in-thread if the worker dies, so recognition never stops."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), name="branchdoor-encoder", daemon=True)
        self._process.start()
        child.close()
        self._fallback: InlineEncoder | None = None

    def encode(self, image: Image, boxes: list[Box]) -> list[Template]:
        if not boxes:
            return []
        if self._fallback is not None:
            return self._fallback.encode(image, boxes)
        height, width = image.shape[:2]
        # The encoder aligns a chip with 25 % padding around the face: half a face on every side covers it.
        grown = [box.grown(0.5, width, height) for box in boxes]
        region = Box(
            top=min(b.top for b in grown),
            right=max(b.right for b in grown),
            bottom=max(b.bottom for b in grown),
            left=min(b.left for b in grown),
        )
        crop = np.ascontiguousarray(image[region.top : region.bottom, region.left : region.right])
        shifted = [
            Box(b.top - region.top, b.right - region.left, b.bottom - region.top, b.left - region.left)
            for b in boxes
        ]
        try:
            self._connection.send((crop, shifted))
            if not self._connection.poll(REPLY_TIMEOUT_S):
                raise EncoderUnavailable("no reply from the encoder process")
            templates: list[Template] = self._connection.recv()
            return templates
        except (OSError, EOFError, EncoderUnavailable) as exc:
            log.error("encoder process failed (%s); encoding in the recognition thread from now on", exc)
            self._fallback = InlineEncoder()
            return self._fallback.encode(image, boxes)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._connection.send(None)
        self._process.join(2)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1)
        self._connection.close()


def usable_cores() -> int:
    return len(os.sched_getaffinity(0))


def resolved_kind(kind: EncoderKind) -> Literal["inline", "process"]:
    """Where `auto` encodes on this machine: a worker process only where there is a second core."""
    return "process" if kind == "process" or (kind == "auto" and usable_cores() > 1) else "inline"


def make_encoder(kind: EncoderKind) -> Encoder:
    return ProcessEncoder() if resolved_kind(kind) == "process" else InlineEncoder()
