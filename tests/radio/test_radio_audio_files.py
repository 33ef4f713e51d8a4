"""Audio files on disk: unique per call, never overwritten, never outside audio/."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest
from mqtt_support import FIXTURES

from listenpost.radio.audio_files import AudioFiles, safe_name
from listenpost.radio.normalise import normalise
from listenpost.radio.records import AudioRecord


def audio_record() -> AudioRecord:
    payload = (FIXTURES / "extra" / "audio_valid_wav.json").read_bytes()
    (rec,) = normalise("feeds/audio", payload)
    assert isinstance(rec, AudioRecord)
    return rec


@pytest.mark.parametrize("name", ["..", ".", "../x", "a/../../b", "/abs", "", "...."])
def test_path_like_names_stay_under_audio(tmp_path: Path, name: str) -> None:
    files = AudioFiles(tmp_path)
    rec = replace(audio_record(), sys_name=name, filename=name or None)
    path = files.path_for(rec, 7)
    assert path.resolve().is_relative_to((tmp_path / "audio").resolve())
    assert path.name.startswith("7-") and path.suffix == ".wav"
    assert ".." not in path.relative_to(tmp_path).parts


def test_safe_name_has_no_dots_first_and_no_separators() -> None:
    assert safe_name("..") == "unknown" and safe_name("a/b") == "a_b"
    assert safe_name(".hidden") == "hidden" and len(safe_name("x" * 500)) <= 120


def test_a_taken_name_gets_a_new_file_and_the_old_one_is_kept(tmp_path: Path) -> None:
    files = AudioFiles(tmp_path)
    path = files.path_for(audio_record(), 1)

    async def both() -> tuple[Path, Path]:
        return await files.write(path, b"first"), await files.write(path, b"second")

    first, second = asyncio.run(both())
    assert first == path and second != path
    assert first.read_bytes() == b"first" and second.read_bytes() == b"second"
    assert not list(path.parent.glob("*.tmp"))
    asyncio.run(files.remove([second]))
    assert not second.exists() and first.exists()
    assert json.loads((FIXTURES / "extra" / "topics.json").read_text())
