"""Celery's broker transports: kombu's own, with two fixes.

``RedisTransport`` (production). When the broker drops while tasks are running (acks late, so
their messages are unacknowledged), Celery's consumer first collects the connection — which clears
the transport's link to it — and then closes it; the close tries to put those messages back and
asks the cleared link for the broker's address: ``AttributeError: 'NoneType' object has no
attribute 'hostname'``, which no error handler expects, and the worker exits with "Unrecoverable
error" (kombu #582; seen here under load on every Redis restart). Here the cleared link raises
Redis's own ConnectionError instead, which the close ignores as it should: the messages stay in
Redis's unacknowledged set, the running tasks ack them once the worker has reconnected (or they
are redelivered after the visibility timeout and find their work done).

``FilesystemTransport`` (the embedded default): kombu's consumer looks at the queue folder, and
when it is empty sleeps ``polling_interval`` (1 s) before looking again, so a task waits half a
second on average before it starts. Here each
consumer waits on a FIFO of its own in ``wake_folder`` and every publish writes a byte to each of
them: a task starts as soon as it is written. The polling interval stays as a safety net.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic, sleep
from typing import Any, cast

from kombu.transport import filesystem, redis

from console.fifo import FifoListener, fifo_send


class _RedisChannel(redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            import redis as redis_py

            raise redis_py.ConnectionError("the broker connection was already collected after a failure")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]  # private, not in the stubs


class RedisTransport(redis.Transport):
    Channel = _RedisChannel


class _FilesystemChannel(filesystem.Channel):
    # kombu's stubs give _put and drain_events different signatures in different base classes.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        super()._put(queue, payload, **kwargs)
        folder = cast(FilesystemTransport, self.connection).wake_folder
        if folder is not None:
            for fifo in folder.glob("*.fifo"):
                fifo_send(fifo, b"w")


class FilesystemTransport(filesystem.Transport):
    Channel = _FilesystemChannel

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        folder = client.transport_options.get("wake_folder")
        self.wake_folder = Path(folder) if folder else None
        self._listener: FifoListener | None = None

    def _wake_listener(self) -> FifoListener | None:
        if self._listener is None and self.wake_folder is not None:
            self._listener = FifoListener(self.wake_folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.fifo")
        return self._listener

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:  # type: ignore[override]
        # Listen before looking, so a message written between the look and the wait still wakes us.
        listener = self._wake_listener()
        started = monotonic()
        polling = float(self.polling_interval or 1.0)
        assert self.cycle is not None  # set up with the first channel
        while True:
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                elapsed = monotonic() - started
                if timeout is not None and elapsed >= timeout:
                    raise TimeoutError() from None
                pause = polling if timeout is None else min(polling, timeout - elapsed)
                if listener is not None:
                    listener.wait(pause)
                else:
                    sleep(pause)

    def close_connection(self, connection: Any) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        super().close_connection(connection)

