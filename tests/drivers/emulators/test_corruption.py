"""Seeded line noise: the same seed damages the same bytes; zero rates leave bytes alone."""

from __future__ import annotations

import pytest

from drivers.emulators.corruption import Corruption

DATA = bytes(range(256)) * 40


def test_no_rates_no_damage() -> None:
    assert Corruption().apply(DATA) == DATA


def test_the_same_seed_replays_the_same_damage() -> None:
    assert Corruption(0.01, 0.01, 0.01, seed=7).apply(DATA) == Corruption(0.01, 0.01, 0.01, seed=7).apply(
        DATA
    )
    assert Corruption(0.01, seed=7).apply(DATA) != Corruption(0.01, seed=8).apply(DATA)


def test_rates_are_roughly_honoured() -> None:
    flipped = Corruption(flip_bit_rate=0.02, seed=1).apply(DATA)
    assert len(flipped) == len(DATA)
    assert 0.01 < sum(a != b for a, b in zip(flipped, DATA, strict=True)) / len(DATA) < 0.03
    assert 0.01 < 1 - len(Corruption(drop_byte_rate=0.02, seed=1).apply(DATA)) / len(DATA) < 0.03
    assert 0.01 < len(Corruption(junk_rate=0.02, seed=1).apply(DATA)) / len(DATA) - 1 < 0.03


def test_rates_must_be_probabilities() -> None:
    with pytest.raises(ValueError, match="probability"):
        Corruption(flip_bit_rate=1.5)
