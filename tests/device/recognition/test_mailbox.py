"""The frame mailbox: capture never blocks, recognition always gets the newest frame."""

from __future__ import annotations

import threading

from device.recognition.mailbox import LatestOnly


def test_newest_item_wins_and_replaced_ones_are_counted() -> None:
    box: LatestOnly[int] = LatestOnly()
    for i in range(5):
        box.put(i)
    assert box.get(0) == 4
    assert box.dropped == 4


def test_get_times_out_empty() -> None:
    assert LatestOnly[int]().get(timeout_s=0.01) is None


def test_close_wakes_a_waiting_reader() -> None:
    box: LatestOnly[int] = LatestOnly()
    result: list[int | None] = []
    reader = threading.Thread(target=lambda: result.append(box.get(timeout_s=5)))
    reader.start()
    box.close()
    reader.join(1)
    assert not reader.is_alive() and result == [None]


def test_close_still_delivers_the_last_item() -> None:
    box: LatestOnly[int] = LatestOnly()
    box.put(7)
    box.close()
    assert box.get(0) == 7
    assert box.get(0) is None
