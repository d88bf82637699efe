"""The demo's door scene: one enrolled customer walks in, then a stranger, within the script's time."""

from __future__ import annotations

import tomllib

from device.demo import faceset
from device.demo.cast import public_domain_cast, scene_toml
from drivers.camera.scene import SceneScript


def test_the_public_domain_scene_is_a_valid_script_with_the_customer_first() -> None:
    cast = public_domain_cast()
    script = SceneScript.model_validate(tomllib.loads(scene_toml(cast)))
    customer, stranger = script.actors
    assert customer.photo == cast.customer.scene_photo and stranger.photo == cast.stranger.scene_photo
    assert customer.leave_s < stranger.enter_s <= stranger.leave_s <= script.duration_s
    # The astronaut portrait has a second, false, face: the scene shows her head only.
    assert stranger.crop == faceset.ASTRONAUT_HEAD and customer.crop is None


def test_only_the_customer_is_enrolled() -> None:
    cast = public_domain_cast()
    assert cast.customer.enroll_photos and not cast.stranger.enroll_photos
    assert cast.stranger.customer_ref == "not-enrolled"
