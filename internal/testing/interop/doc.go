// Package interop checks that the stomp CLI and Python's stomp.py (Debian python3-stomp, run as
// /usr/bin/python3) understand each other byte for byte through the real brokers: what stomp sends,
// stomp.py receives exactly, and the reverse, including sendfile, binary bodies, UTF-8 and header
// values with ':' and newlines.
//
// The tests need a real broker (scripts/ci-brokers.sh start && eval "$(scripts/ci-brokers.sh env)")
// and /usr/bin/python3 with the stomp module; without them they are skipped.
//
// The stomp.py side is driven by testdata/stomppy_helper.py (the library, raw bytes) and, in a few
// tests, by stomp.py's own CLI (`python3 -m stomp`).
package interop
