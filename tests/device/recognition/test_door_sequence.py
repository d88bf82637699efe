"""The open-set rule on the labeled set's seeded door sequence, replayed offline: customers named only.

The same sequence bench/recognition.py plays in real time (device/demo/doorset.py, its documented seed
and split), rendered frame by frame and handed to the real Recognizer, every 2nd frame as a loaded
real-time pipeline would see it. Skipped when no labeled set is given (BRANCHDOOR_FACE_DATA).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from device.demo.doorset import FPS, Visit
from device.domain import Identification
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine
from device.recognition.recognizer import Recognizer
from drivers.camera.scene import SceneRenderer
from tests.device.labeled_door import door_gallery, door_sequence, template_of

# About 1,100 frames rendered, detected and partly encoded: about a minute here, more on a loaded machine.
pytestmark = [pytest.mark.faces, pytest.mark.slow, pytest.mark.timeout(1800)]
FRAME_STRIDE = 2


@dataclass
class Replay:
    customer_visits: int = 0
    named: int = 0
    wrong: int = 0
    strangers_named: int = 0
    reachable: int = 0  # customer visits whose photo, whole and sharp, is within tolerance of a template
    reachable_named: int = 0


def replay(root: Path, config: RecognitionConfig) -> Replay:
    doorset = door_sequence(root)
    gallery = door_gallery(root)
    recognizer = Recognizer(FaceEngine(), config, lambda: gallery)
    renderer = SceneRenderer(doorset.script())
    result = Replay()
    groups: dict[int, list[Visit]] = {}
    for visit in doorset.visits:
        groups.setdefault(visit.group, []).append(visit)
    for members in groups.values():
        # From just before the first enters until the last one's track has expired; the empty door is
        # skipped. People in one group are in view together: a name is right if it is one of theirs.
        first = int((min(v.enter_s for v in members) - 0.6) * FPS)
        last = int((max(v.leave_s for v in members) + 1.6) * FPS)
        names: list[str] = []
        for index in range(first - first % FRAME_STRIDE, last, FRAME_STRIDE):
            events = recognizer.process(renderer.render(index), now=index / FPS, wall_time=0.0)
            names += [e.customer_ref for e in events if isinstance(e, Identification)]
        enrolled = {v.photo.identity for v in members if v.enrolled}
        for visit in members:
            if visit.enrolled:
                match = gallery.nearest(template_of(visit.photo.path))
                reachable = match is not None and match.distance <= config.tolerance
                result.customer_visits += 1
                result.named += visit.photo.identity in names
                result.reachable += reachable
                result.reachable_named += reachable and visit.photo.identity in names
        misnamed = [name for name in names if name not in enrolled]
        if enrolled:
            result.wrong += len(misnamed)
        else:
            result.strangers_named += len(misnamed)
        result.wrong += sum(names.count(name) - 1 for name in set(names))  # a second name for one visit
    return result


def test_the_rule_names_97_percent_of_reachable_customer_visits_and_nobody_else(face_data: Path) -> None:
    """Reachable: the visit's photo, encoded whole and sharp, is within tolerance of its customer's
    templates. A photo further than that from every template (faces-dev: one in 21, 0.55 from all
    three, while a stranger lookalike comes within 0.52 of another customer) cannot be named by any
    rule that never names that stranger; it is counted, not excused, in bench/recognition_distances.py.
    """
    result = replay(face_data, RecognitionConfig())
    assert result.wrong == 0
    assert result.strangers_named == 0
    assert result.reachable_named >= 0.97 * result.reachable, result
