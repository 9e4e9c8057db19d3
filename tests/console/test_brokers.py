"""The broker transports of console/brokers.py: the filesystem one wakes its consumer on publish."""

import threading
import time

from kombu import Connection, Exchange, Queue


def test_the_filesystem_broker_wakes_a_waiting_consumer_instead_of_polling(tmp_path):
    folders = {name: tmp_path / name for name in ("queue", "control", "wake")}
    for folder in folders.values():
        folder.mkdir()
    options = {"data_folder_in": str(folders["queue"]), "data_folder_out": str(folders["queue"]),
               "control_folder": str(folders["control"]), "wake_folder": str(folders["wake"]),
               # A poll every 60 s: a message can only arrive within the wait below by a wake-up.
               "polling_interval": 60}
    queue = Queue("jobs", Exchange("jobs"), routing_key="jobs")
    received = []
    consumer_conn = Connection("filesystem://", transport="console.brokers:FilesystemTransport",
                               transport_options=options)
    producer_conn = Connection("filesystem://", transport="console.brokers:FilesystemTransport",
                               transport_options=options)

    def publish() -> None:
        time.sleep(0.5)  # the consumer is waiting by now
        producer_conn.Producer().publish({"n": 1}, exchange=queue.exchange, routing_key="jobs", declare=[queue])

    with consumer_conn, producer_conn, consumer_conn.Consumer(
            queue, callbacks=[lambda body, msg: (received.append(body), msg.ack())]):
        publisher = threading.Thread(target=publish)
        publisher.start()
        consumer_conn.drain_events(timeout=20)
        publisher.join()
    assert received == [{"n": 1}]
    assert list(folders["wake"].glob("*.fifo")) == []  # the consumer's FIFO went with its connection
