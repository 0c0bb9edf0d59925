#!/usr/bin/python3
"""stomp.py (Debian python3-stomp) runs the suite's scenario and prints its transcript.

Usage: client.py HOST PORT LOGIN PASSCODE PREFIX  (LOGIN "" for none)
The scenario and the transcript's lines are described in clients_test.go.
Events are printed in the order the library reports them, which is the order
of the frames on the wire (one receiver thread calls the listener).
"""
import queue
import sys
import time

import stomp

host, port, login, passcode, prefix = sys.argv[1:6]
qa, qb = "/queue/%s-a" % prefix, "/queue/%s-b" % prefix
events = queue.Queue()


class Listener(stomp.ConnectionListener):
    def on_message(self, frame):
        events.put(("MESSAGE", frame.body, frame.headers))

    def on_receipt(self, frame):
        events.put(("RECEIPT", frame.headers.get("receipt-id"), frame.headers))

    def on_error(self, frame):
        events.put(("ERROR", frame.headers.get("message", ""), frame.headers))


def collect(receipt=None, messages=0, timeout=5.0):
    """Print events until RECEIPT receipt and `messages` messages came; TIMEOUT if they did not."""
    got, seen_receipt, out = 0, receipt is None, []
    deadline = time.monotonic() + timeout
    while not (seen_receipt and got >= messages):
        try:
            kind, value, headers = events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            print("TIMEOUT", flush=True)
            return out
        if kind == "MESSAGE" and headers.get("redelivered") == "true":
            value += " redelivered"
        print(kind, value, flush=True)
        if kind == "RECEIPT" and value == receipt:
            seen_receipt = True
        elif kind == "MESSAGE":
            got += 1
            out.append(headers)
    return out


conn = stomp.Connection12([(host, int(port))], vhost="/", heartbeats=(0, 0))
conn.set_listener("", Listener())
conn.connect(login or None, passcode or None, wait=True)
print("CONNECTED", flush=True)

conn.send(qa, "one", headers={"receipt": "send-1"})
collect("send-1")
conn.send(qa, "two", headers={"receipt": "send-2"})
collect("send-2")

conn.subscribe(qa, id="sub-a", ack="client-individual", headers={"receipt": "sub-a"})
got = collect("sub-a", 2)
if len(got) == 2:
    conn.begin("tx-ack")
    conn.ack(got[0]["ack"], transaction="tx-ack")
    conn.abort("tx-ack")
    conn.nack(got[1]["ack"])
    again = collect(None, 1, 1.5)
    if again:
        conn.ack(again[0]["ack"], receipt="ack-again")
        collect("ack-again")
conn.unsubscribe("sub-a", headers={"receipt": "unsub-a"})
collect("unsub-a")

conn.subscribe(qa, id="sub-c", ack="client-individual", headers={"receipt": "sub-c"})
got = collect("sub-c", 1, 1.5)
if got:
    conn.begin("tx-ack2")
    conn.ack(got[0]["ack"], transaction="tx-ack2")
    conn.commit("tx-ack2")
conn.unsubscribe("sub-c", headers={"receipt": "unsub-c"})
collect("unsub-c")
conn.send(qa, "end", headers={"receipt": "send-end"})
collect("send-end")
conn.subscribe(qa, id="sub-d", ack="auto", headers={"receipt": "sub-d"})
collect("sub-d", 1)

conn.begin("tx-1")
conn.send(qb, "tx-committed", headers={"transaction": "tx-1"})
conn.commit("tx-1")
conn.begin("tx-2")
conn.send(qb, "tx-aborted", headers={"transaction": "tx-2"})
conn.abort("tx-2")
conn.send(qb, "after", headers={"receipt": "send-after"})
collect("send-after")
conn.subscribe(qb, id="sub-b", ack="auto", headers={"receipt": "sub-b"})
collect("sub-b", 2)

conn.disconnect(receipt="disconnect")
collect("disconnect", 0, 2)
print("DONE", flush=True)
