"""Call audio on disk: one file per stored call, written atomically, off the event loop.

Layout: ``<data_dir>/audio/<system>/<YYYY>/<MM>/<DD>/<call id>-<plugin file name>``. The call
id makes the name unique per stored call, so two calls whose plugin file names collide
(same talkgroup numbering, other systems or days) never share or overwrite a file. Every
path component built from plugin data is reduced to a safe name, and the final path is
checked to lie under ``audio/`` before anything is written.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from .records import AudioRecord

MAX_NAME = 120


def safe_name(name: str, fallback: str = "unknown") -> str:
    """One path component: letters, digits, ``-_.`` only, no leading dots (so ``..`` and
    hidden names cannot appear), at most MAX_NAME characters."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return cleaned.lstrip(".")[:MAX_NAME] or fallback


class AudioFiles:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.root = self.data_dir / "audio"

    def path_for(self, a: AudioRecord, call_id: int) -> Path:
        ext = a.audio_ext or ".bin"
        day = datetime.fromtimestamp(a.start_time or time.time(), UTC)
        stem = Path(a.filename or f"{int(a.start_time or time.time())}_{a.sys_name}").name
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
        name = f"{call_id}-{safe_name(stem, 'call')}{ext}"
        folder = self.root / safe_name(a.sys_name) / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        path = folder / name
        if not path.resolve().is_relative_to(self.root):  # belt and braces
            raise ValueError(f"audio path {path} escapes {self.root}")
        return path

    async def write(self, path: Path, data: bytes) -> Path:
        """Write `data` to `path` (or, if a stale file holds that name, a fresh variant);
        returns the path written. Blocking file work runs in a thread."""
        return await asyncio.to_thread(_write_new, path, data)

    async def remove(self, paths: list[Path]) -> None:
        """Delete files written by a transaction that was rolled back."""
        await asyncio.to_thread(_remove, paths)

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.data_dir))


def _write_new(path: Path, data: bytes) -> Path:
    """Temp file + fsync + hard link: the file appears whole, and never replaces another."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        for n in itertools.count(1):
            target = path if n == 1 else path.with_name(f"{path.stem}.{n}{path.suffix}")
            try:
                os.link(tmp, target)  # fails if the name exists: no overwrite
                return target
            except FileExistsError:
                continue
            except OSError:  # a filesystem without hard links
                if not target.exists():
                    os.replace(tmp, target)
                    return target
        raise AssertionError("unreachable")
    finally:
        tmp.unlink(missing_ok=True)


def _remove(paths: list[Path]) -> None:
    for p in paths:
        p.unlink(missing_ok=True)
