// Package faults runs the stomp binary against the real brokers and breaks
// them underneath it: kill -9 and restart, freeze (SIGSTOP) beyond the
// heart-beat grace and thaw. It is skipped unless STOMP_TEST_FAULTS=1,
// because it stops the shared brokers: run it after everything else, with
// `make test-faults`. Every test restarts the broker it broke before it
// ends, so later tests find it up.
//
// The brokers are the ones scripts/ci-brokers.sh runs: addresses from
// STOMP_TEST_RABBITMQ / STOMP_TEST_ACTIVEMQ, processes from the pid files
// under $RMQ_BASE and $AMQ_BASE (defaults under $BROKERS_ROOT, as in
// scripts/brokers/*.sh). Point RMQ_* / AMQ_* / BROKERS_ROOT at private
// instances to break those instead of the shared ones.
package faults
