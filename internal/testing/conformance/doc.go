// Package conformance holds a broker conformance suite (tests only): the
// same STOMP scenarios, spoken as raw frames over TCP, run against the
// embedded broker (internal/broker) and the real brokers configured for
// internal/testing/testbroker (RabbitMQ, ActiveMQ). It tests the brokers, not the
// project's client: frames are written with go-stomp's frame.Writer and
// read with internal/stomp/wire.
//
// Where brokers legitimately differ the test says so next to the
// per-broker expectation, so the suite doubles as the list of behaviour
// differences a client must cope with.
//
//	eval "$(scripts/ci-brokers.sh env)"
//	go test -race ./internal/testing/conformance/
package conformance
