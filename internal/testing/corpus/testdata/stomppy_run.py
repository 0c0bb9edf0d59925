#!/usr/bin/python3
"""Run a script through stomp.py's own command-line client (Debian python3-stomp).

  stomppy_run.py HOST PORT USER PASS VHOST VERSION [verbose] < script

This is stomp.py's main() for `-F` (reference §4.3): StompCLI is built with the same arguments
(prompt "> ", not verbose, no heart-beats) and each line goes through its onecmd, as its do_run
does with a file's lines (the corpus test feeds the lines on standard input so that a line may
use the id of a message printed before it). At the end of the input it disconnects with a
receipt and waits for it, as stomp's -F does: stomp.py's -F exits at once, so what it prints
would depend on timing (the test closes the input only once the messages it expects have been
printed). That DISCONNECT's receipt and the disconnection are not displayed. VHOST is as for
stomppy_cli.py.
"""
import logging
import sys
import threading

from stomp.__main__ import StompCLI

from stomppy_cli import with_vhost

BYE = "corpus-disconnect"


class Runner(StompCLI):
    leaving = False
    bye = threading.Event()

    def on_receipt(self, frame):
        if frame.headers.get("receipt-id") == BYE:
            self.bye.set()
        else:
            super().on_receipt(frame)

    def on_disconnected(self):
        if not self.leaving:
            super().on_disconnected()


def main(host, port, user, passcode, vhost, version, *verbose):
    with_vhost(vhost)
    cli = Runner(host, port, user, passcode, version, "> ", bool(verbose))
    for line in sys.stdin:
        try:
            cli.onecmd(line[:-1] if line.endswith("\n") else line)
        except Exception:
            # stomp.py's -F runs the file inside main(), whose bare except ends
            # the program quietly, exit 0, when a command raises: a send on a
            # connection the broker closed after an ERROR does.
            sys.stdout.flush()
            return
        sys.stdout.flush()
    cli.leaving = True
    # The protocol's DISCONNECT, without conn.disconnect's immediate stop of
    # the transport: the receiver shows everything that comes before the receipt.
    # A broker that closed the connection after an ERROR leaves nothing to
    # disconnect from: stomp.py's -F would just have exited.
    logging.getLogger("stomp.py").setLevel(logging.CRITICAL)
    try:
        cli.conn.set_receipt(BYE, "DISCONNECT")
        cli.conn.send_frame("DISCONNECT", {"receipt": BYE})
        sent = True
    except Exception:
        sent = False
    if sent and not cli.bye.wait(15) and cli.conn.is_connected():
        print("stomppy_run: no receipt for DISCONNECT", file=sys.stderr)
        sys.exit(3)
    sys.stdout.flush()
    cli.conn.transport.stop()


if __name__ == "__main__":
    main(*sys.argv[1:])
