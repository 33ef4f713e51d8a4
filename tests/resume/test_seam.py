"""The seam between replay and live, on an in-memory wire: live frames wait behind the
replay, those it already covered are dropped, and live outrunning the replay beyond the
history kept closes the client with the resync advice (it would otherwise be silently cut)."""

from __future__ import annotations

from listenpost.hub.client import TOO_SLOW, Client, FullPolicy
from listenpost.hub.wire import MemoryWire, payload_of, text_frame
from listenpost.resume.protocol import offset_key, offset_of, wrap
from listenpost.resume.seam import SeamWire


def live(offset: int) -> bytes:
    return text_frame(wrap(offset_key(offset), b"E", b'{"n":%d}' % offset))


def seam_on(limit: int) -> tuple[SeamWire, MemoryWire]:
    wire = MemoryWire()
    return SeamWire(Client("test.seam", 100, FullPolicy.DROP, wire=wire), limit), wire


def test_live_frames_wait_for_the_replay_and_repeats_are_dropped() -> None:
    seam, wire = seam_on(limit=10)
    assert seam.write_frame(live(3)) and seam.write_frame(live(4))  # held
    assert seam.write_frame(text_frame(b"pong"))  # no offset: passes at once
    assert seam.backed_up() is False  # the replay is not held back by what waits
    wire.write_frame(live(1))  # the replay writes to the real wire
    wire.write_frame(live(3))
    seam.settle(3)
    assert seam.write_frame(live(5))
    assert [offset_of(payload_of(f)) for f in wire.frames] == [None, 1, 3, 4, 5]  # 3 once
    assert seam.backed_up() is True and seam.pending() == wire.pending()  # the real wire's


def test_live_outrunning_the_replay_closes_with_the_resync_advice() -> None:
    seam, wire = seam_on(limit=2)
    assert seam.write_frame(live(7)) and seam.write_frame(live(8))
    assert seam.write_frame(live(9)) is False
    assert wire.closed == (TOO_SLOW, "client too slow; resync over REST")
    assert wire.frames == []  # nothing half-delivered before the close
