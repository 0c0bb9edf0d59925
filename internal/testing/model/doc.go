// Package model holds the model-based randomized test of issue 13's
// promises: random sequences of operations run through every front-end of
// the real stomp binary (shell in a pty, -F scripts, send, send --lines,
// listen, listen --exec, reply and request) while a fault-injecting proxy
// (internal/testing/faultproxy) resets, stalls, cuts and refuses their
// connections and the embedded broker is killed and restarted. Afterwards
// the test checks what the model expects, each invariant a named check in
// model_test.go:
//
//   - every message of a run that exited 0 reached the broker
//     (checkPromisedReachedBroker);
//   - every message a listener did not ack comes back, and a listener whose
//     sink failed does not exit 0 (checkUnackedComeBack,
//     checkSinkFailuresNotAcked);
//   - no listener or shell stops by itself while its broker comes back, and
//     the shell takes a send again (checkKeptRunning, stopLongLived);
//   - every run ends with a documented exit code and never panics
//     (checkExitsDocumented).
//
// STOMP_MODEL_SEED=N reruns one seed (a failure prints the line to run),
// STOMP_MODEL_SEEDS=1,2,3 runs several, and STOMP_MODEL_STRICT=1 fails the
// known bugs (knownBugs) that are otherwise only logged.
//
// The package has no non-test code besides this comment. See model_test.go
// for the model and the invariants, ops_test.go for the operations and
// faults_test.go for the faults.
package model
