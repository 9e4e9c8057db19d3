"""The embedded default's Celery broker: kombu's filesystem transport, woken instead of polled.

kombu's consumer looks at the queue folder, and when it is empty sleeps ``polling_interval``
(1 s) before looking again, so a task waits half a second on average before it starts. Here each
consumer waits on a FIFO of its own in ``wake_folder`` and every publish writes a byte to each of
them: a task starts as soon as it is written. The polling interval stays as a safety net.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic, sleep

from kombu.transport import filesystem

from console.fifo import FifoListener, fifo_send


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        super()._put(queue, payload, **kwargs)
        folder = self.connection.wake_folder
        if folder is not None:
            for fifo in folder.glob("*.fifo"):
                fifo_send(fifo, b"w")


class Transport(filesystem.Transport):
    Channel = Channel

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        folder = client.transport_options.get("wake_folder")
        self.wake_folder = Path(folder) if folder else None
        self._listener: FifoListener | None = None

    def _wake_listener(self) -> FifoListener | None:
        if self._listener is None and self.wake_folder is not None:
            self._listener = FifoListener(self.wake_folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.fifo")
        return self._listener

    def drain_events(self, connection, timeout=None):
        # Listen before looking, so a message written between the look and the wait still wakes us.
        listener = self._wake_listener()
        started = monotonic()
        while True:
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                elapsed = monotonic() - started
                if timeout is not None and elapsed >= timeout:
                    raise TimeoutError() from None
                pause = self.polling_interval if timeout is None else min(self.polling_interval, timeout - elapsed)
                if listener is not None:
                    listener.wait(pause)
                else:
                    sleep(pause)

    def close_connection(self, connection):
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        super().close_connection(connection)

