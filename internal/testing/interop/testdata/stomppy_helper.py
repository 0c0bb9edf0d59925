#!/usr/bin/python3
"""Drive the stomp.py *library* for the interop tests (run it with /usr/bin/python3).

  stomppy_helper.py recv HOST PORT USER PASS VERSION VHOST DEST COUNT TIMEOUT
      Subscribe to DEST (ack auto, confirmed by a receipt), print "READY" on its own line, then
      collect COUNT MESSAGE frames (raw bytes: auto_decode=False) and print one JSON line:
      {"messages": [{"headers": {...}, "body_b64": "..."}], "errors": [...]}.
      Exits 3 if fewer than COUNT arrived within TIMEOUT seconds (the JSON is printed anyway).

  stomppy_helper.py send HOST PORT USER PASS VERSION VHOST < spec.json
      spec.json is a list of {"dest": ..., "headers": {...}, "body_b64": ...}. Sends each with
      conn.send(dest, body_bytes, headers=headers), then disconnects with a receipt (so the broker
      has them all). Prints "SENT n".

VERSION is 1.1 or 1.2; VHOST "" means the library's default CONNECT host header.
"""
import base64
import json
import sys
import threading
import time

import stomp


class Collector(stomp.ConnectionListener):
    def __init__(self, want):
        self.want = want
        self.messages = []
        self.errors = []
        self.receipts = set()
        self.cond = threading.Condition()

    def on_message(self, frame):
        with self.cond:
            body = frame.body
            if isinstance(body, str):  # never with auto_decode=False, but be safe
                body = body.encode("utf-8")
            self.messages.append({"headers": dict(frame.headers),
                                  "body_b64": base64.b64encode(body or b"").decode("ascii")})
            self.cond.notify_all()

    def on_error(self, frame):
        with self.cond:
            self.errors.append({"headers": dict(frame.headers),
                                "body": frame.body.decode("utf-8", "replace")
                                if isinstance(frame.body, bytes) else str(frame.body)})
            self.cond.notify_all()

    def on_receipt(self, frame):
        with self.cond:
            self.receipts.add(frame.headers.get("receipt-id"))
            self.cond.notify_all()

    def wait(self, pred, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


def connect(host, port, user, password, version, vhost, listener):
    cls = {"1.1": stomp.Connection11, "1.2": stomp.Connection12}[version]
    kw = {"auto_decode": False, "reconnect_attempts_max": 1}
    if vhost:
        kw["vhost"] = vhost
    conn = cls(host_and_ports=[(host, int(port))], **kw)
    conn.set_listener("collector", listener)
    conn.connect(user, password, wait=True)
    return conn


def recv(host, port, user, password, version, vhost, dest, count, timeout):
    count, timeout = int(count), float(timeout)
    lst = Collector(count)
    conn = connect(host, port, user, password, version, vhost, lst)
    conn.subscribe(dest, id="1", ack="auto", headers={"receipt": "sub-1"})
    if not lst.wait(lambda: "sub-1" in lst.receipts or lst.errors, 10):
        print(json.dumps({"messages": [], "errors": ["no receipt for SUBSCRIBE"]}), flush=True)
        return 3
    print("READY", flush=True)
    ok = lst.wait(lambda: len(lst.messages) >= count or lst.errors, timeout)
    with lst.cond:
        out = {"messages": list(lst.messages), "errors": list(lst.errors)}
    print(json.dumps(out), flush=True)
    try:
        conn.disconnect()
    except Exception:
        pass
    return 0 if ok and not out["errors"] else 3


def send(host, port, user, password, version, vhost):
    spec = json.load(sys.stdin)
    lst = Collector(0)
    conn = connect(host, port, user, password, version, vhost, lst)
    for m in spec:
        conn.send(m["dest"], base64.b64decode(m["body_b64"]), headers=dict(m.get("headers") or {}))
    conn.disconnect(receipt="bye")  # waits for the RECEIPT: the broker has every message
    if lst.errors:
        print(json.dumps(lst.errors), file=sys.stderr)
        return 3
    print("SENT %d" % len(spec), flush=True)
    return 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({"recv": recv, "send": send}[cmd](*args))
