// Package model holds the model-based randomized test of issue 13's
// promises: random sequences of operations run through every front-end of
// the real stomp binary (shell in a pty, -F scripts, send, send --lines,
// listen, listen --exec, reply and request) while a fault-injecting proxy
// (internal/testing/faultproxy) resets, stalls, cuts and refuses their
// connections and the embedded broker is killed and restarted. Afterwards
// the test checks what the model expects:
//
//   - every message of a run that exited 0 reached the broker;
//   - every message a listener did not ack comes back;
//   - no listener or shell stops by itself while its broker comes back.
//
// The package has no non-test code besides this comment. See model_test.go
// for the model and the invariants, ops_test.go for the operations and
// faults_test.go for the faults.
package model
