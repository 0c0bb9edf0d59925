// Package thirdparty runs third-party STOMP client libraries, installed from Debian and npm, against
// `stomp serve` and, when they are configured, RabbitMQ and ActiveMQ, so the suite shows where our
// broker behaves differently from the real ones. It also drives @stomp/stompjs in a real headless
// Chromium over WebSocket (browser_test.go).
//
// Each library runs a small program kept in testdata/ (one per language) that performs the same
// scenario and prints a transcript the tests compare line by line (clients_test.go describes it).
//
// What the programs need, and what .ci/run installs (scripts/thirdparty-install.sh):
//
//	Debian: python3-stomp ruby-stomp libnet-stomp-perl php-stomp php-cli chromium
//	npm:    cd internal/testing/thirdparty/testdata && npm ci   (@stomp/stompjs, @stomp/tcp-wrapper, ws)
//
// A client that is missing is skipped with the install command, except under CI=true, where the
// repository installs every one of them, so a missing client is a broken install and fails.
package thirdparty
