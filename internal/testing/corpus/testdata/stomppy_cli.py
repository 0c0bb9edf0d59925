#!/usr/bin/python3
"""stomp.py's own command-line client (Debian python3-stomp), told the virtual host.

  stomppy_cli.py VHOST [stomp.py's arguments, as for python3 -m stomp]

stomp.py's CLI has no --vhost, and at STOMP 1.2 it sends the broker's host name as the CONNECT's
host header, the virtual host to RabbitMQ, which refuses any name but one of its vhosts: no
stomp.py script can run on RabbitMQ at 1.2 as it is. With VHOST (RabbitMQ's "/"), its 1.2
connection names that virtual host instead, as any stomp.py library user does (vhost=); "" leaves
it alone. Everything else is stomp.py's main(), unchanged.
"""
import functools
import sys

import stomp.__main__ as cli


def with_vhost(vhost):
    if vhost:
        cli.StompConnection12 = functools.partial(cli.StompConnection12, vhost=vhost)


if __name__ == "__main__":
    with_vhost(sys.argv[1])
    sys.argv = [sys.argv[0]] + sys.argv[2:]
    cli.main()
