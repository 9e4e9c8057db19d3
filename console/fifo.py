"""Wake-ups between processes of one machine through named pipes (FIFOs), for the embedded default.

A listener makes a FIFO and blocks on it (``select``) until a sender writes, so nobody polls. The
listener keeps the FIFO open for reading *and* writing: a reader with no writer would see end of
file at once and spin, and a sender's non-blocking open succeeds exactly while the listener lives.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
from pathlib import Path


class FifoListener:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkfifo(path, 0o600)
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)

    def wait(self, timeout: float) -> bytes:
        """What was written since the last call, waiting up to ``timeout`` for something; b"" if nothing."""
        readable, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not readable:
            return b""
        chunks = []
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        os.close(self.fd)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def __enter__(self) -> FifoListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fifo_send(path: Path, data: bytes) -> bool:
    """Writes ``data`` (atomically up to 4096 bytes) to the listener on ``path``; False when nobody
    listens there (a FIFO left by a dead listener is removed)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO without a reader: its listener died
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return False
        raise
    try:
        os.write(fd, data)
    except BlockingIOError:  # the listener has a full pipe of unread wake-ups: it is awake anyway
        pass
    finally:
        os.close(fd)
    return True
