"""Who each track follows: the person whose face is nearest the track's box on every frame it is seen.

Scenes place each face exactly (its centre in the crop is known), so a track that swaps people, or a
name given to the wrong track, shows as a track following two people or named after someone else."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from device.domain import Identification
from device.recognition.recognizer import Event, Recognizer
from drivers.camera.scene import Actor, SceneRenderer


@dataclass(frozen=True)
class Person:
    identity: str
    actor: Actor
    face_in_crop: tuple[float, float]  # the face's centre, in pixels of the actor's (cropped) photo
    crop_size: tuple[int, int]  # width, height of the actor's (cropped) photo

    def face_at(self, t: float, width: int, height: int) -> tuple[float, float]:
        """Where the scene renderer puts this face's centre at time `t`, in frame pixels."""
        a = self.actor
        progress = (t - a.enter_s) / (a.leave_s - a.enter_s)
        target_h = max(2, int((a.start.height + (a.end.height - a.start.height) * progress) * height))
        target_w = max(2, int(self.crop_size[0] * target_h / self.crop_size[1]))
        cx = int((a.start.x + (a.end.x - a.start.x) * progress) * width)
        cy = int((a.start.y + (a.end.y - a.start.y) * progress) * height)
        scale = target_h / self.crop_size[1]
        return (
            cx - target_w // 2 + self.face_in_crop[0] * scale,
            cy - target_h // 2 + self.face_in_crop[1] * scale,
        )


@dataclass
class Followed:
    names: dict[int, list[str]] = field(default_factory=dict)  # track id -> names given
    people: dict[int, set[str]] = field(default_factory=dict)  # track id -> people it followed

    def swapped(self) -> dict[int, set[str]]:
        return {track: who for track, who in self.people.items() if len(who) > 1}

    def wrong(self) -> list[tuple[str, set[str]]]:
        """(name given, people its track followed) for every name not of the one person followed."""
        return [
            (name, self.people.get(track, set()))
            for track, given in self.names.items()
            for name in given
            if self.people.get(track) != {name}
        ]

    def named(self) -> list[str]:
        return [name for given in self.names.values() for name in given]


def follow(recognizer: Recognizer, renderer: SceneRenderer, people: list[Person]) -> Followed:
    """Every frame of the scene through the recognizer, noting whom each track's box is on."""
    script = renderer.script
    result = Followed()
    events: list[Event] = []
    for index in range(renderer.frame_count):
        t = index / script.fps
        events = recognizer.process(renderer.render(index), now=t, wall_time=t)
        in_view = [p for p in people if p.actor.enter_s <= t < p.actor.leave_s]
        for track in recognizer.tracker.active:
            if track.last_seen != t or not in_view:
                continue
            box = track.box
            centre = ((box.left + box.right) / 2, (box.top + box.bottom) / 2)
            nearest = min(in_view, key=lambda p: math.dist(centre, p.face_at(t, script.width, script.height)))
            result.people.setdefault(track.track_id, set()).add(nearest.identity)
        for event in events:
            if isinstance(event, Identification):
                result.names.setdefault(event.track_id, []).append(event.customer_ref)
    for event in recognizer.flush(0.0):
        if isinstance(event, Identification):
            result.names.setdefault(event.track_id, []).append(event.customer_ref)
    return result
