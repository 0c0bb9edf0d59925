#!/usr/bin/python3
"""Drain queues with the stomp.py library, to see what a corpus run left on the broker.

  drain.py HOST PORT USER PASS VERSION VHOST IDLE < destinations.json

Subscribes (ack auto, each confirmed by a receipt) to every destination in the JSON list, then
collects messages until none came for IDLE seconds. Prints one JSON object:
{"messages": {dest: [{"headers": {...}, "body_b64": "..."}]}, "errors": [...]}.
"""
import base64
import json
import sys
import threading
import time

import stomp


class Drain(stomp.ConnectionListener):
    def __init__(self):
        self.lock = threading.Condition()
        self.by_sub = {}
        self.errors = []
        self.receipts = set()
        self.last = time.monotonic()

    def on_message(self, frame):
        with self.lock:
            body = frame.body if isinstance(frame.body, bytes) else frame.body.encode("utf-8")
            self.by_sub.setdefault(frame.headers.get("subscription"), []).append(
                {"headers": dict(frame.headers), "body_b64": base64.b64encode(body).decode("ascii")})
            self.last = time.monotonic()

    def on_error(self, frame):
        with self.lock:
            self.errors.append(dict(frame.headers))

    def on_receipt(self, frame):
        with self.lock:
            self.receipts.add(frame.headers.get("receipt-id"))
            self.lock.notify_all()


def main(host, port, user, passcode, version, vhost, idle):
    dests = json.load(sys.stdin)
    cls = {"1.0": stomp.Connection10, "1.1": stomp.Connection11, "1.2": stomp.Connection12}[version]
    kw = {"auto_decode": False}
    if vhost and version != "1.0":
        kw["vhost"] = vhost
    conn = cls([(host, int(port))], **kw)
    d = Drain()
    conn.set_listener("drain", d)
    conn.connect(user, passcode, wait=True)
    for i, dest in enumerate(dests):
        conn.subscribe(dest, id=str(i), ack="auto", headers={"receipt": "r%d" % i})
    deadline = time.monotonic() + 30
    with d.lock:
        while len(d.receipts) < len(dests) and not d.errors and time.monotonic() < deadline:
            d.lock.wait(0.1)
        d.last = max(d.last, time.monotonic())
    while True:
        with d.lock:
            quiet = time.monotonic() - d.last
        if quiet >= float(idle):
            break
        time.sleep(float(idle) - quiet)
    with d.lock:
        out = {"messages": {dests[int(s)]: m for s, m in d.by_sub.items()}, "errors": d.errors}
    print(json.dumps(out))
    conn.disconnect()


if __name__ == "__main__":
    main(*sys.argv[1:])
