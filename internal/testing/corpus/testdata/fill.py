#!/usr/bin/python3
"""Fill a queue with the stomp.py library, the first messages of it redelivered.

  fill.py HOST PORT USER PASS VHOST DEST COUNT REDELIVER

Sends COUNT messages ("message I of COUNT", each confirmed by a receipt) to DEST, then takes the
first REDELIVER of them without acknowledging them and disconnects, so the broker gives them back
marked redelivered. It then takes them once more, unacknowledged again, to count how many the
broker marked, and prints {"redelivered": N}: a listener started afterwards finds COUNT messages
waiting, the first REDELIVER of them redelivered.
"""
import json
import sys
import threading

import stomp


class Collect(stomp.ConnectionListener):
    def __init__(self):
        self.lock = threading.Condition()
        self.messages = []
        self.receipts = set()
        self.errors = []

    def on_message(self, frame):
        with self.lock:
            self.messages.append(dict(frame.headers))
            self.lock.notify_all()

    def on_receipt(self, frame):
        with self.lock:
            self.receipts.add(frame.headers.get("receipt-id"))
            self.lock.notify_all()

    def on_error(self, frame):
        with self.lock:
            self.errors.append(dict(frame.headers))
            self.lock.notify_all()

    def wait(self, done, what):
        with self.lock:
            if not self.lock.wait_for(lambda: done() or self.errors, 30) or self.errors:
                sys.exit("fill.py: waiting for %s: %s" % (what, self.errors or "timed out"))


def connect(host, port, user, passcode, vhost):
    conn = stomp.Connection11([(host, int(port))], vhost=vhost or None, auto_decode=False)
    c = Collect()
    conn.set_listener("fill", c)
    conn.connect(user, passcode, wait=True)
    return conn, c


def take_unacked(host, port, user, passcode, vhost, dest, n):
    """Receives the first n messages of dest without acknowledging them, then disconnects."""
    conn, c = connect(host, port, user, passcode, vhost)
    # Both brokers' prefetch headers: no more than n messages are handed out unacknowledged.
    conn.subscribe(dest, id="1", ack="client-individual",
                   headers={"prefetch-count": str(n), "activemq.prefetchSize": str(n)})
    c.wait(lambda: len(c.messages) >= n, "%d messages" % n)
    conn.disconnect()
    return c.messages[:n]


def main(host, port, user, passcode, vhost, dest, count, redeliver):
    count, redeliver = int(count), int(redeliver)
    conn, c = connect(host, port, user, passcode, vhost)
    for i in range(1, count + 1):
        conn.send(dest, "message %d of %d" % (i, count), headers={"receipt": "s%d" % i})
    c.wait(lambda: len(c.receipts) >= count, "the receipts of %d messages" % count)
    conn.disconnect()
    take_unacked(host, port, user, passcode, vhost, dest, redeliver)
    again = take_unacked(host, port, user, passcode, vhost, dest, redeliver)
    print(json.dumps({"redelivered": sum(1 for h in again if h.get("redelivered") == "true")}))


if __name__ == "__main__":
    main(*sys.argv[1:])
