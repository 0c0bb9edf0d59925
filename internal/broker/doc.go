// Package broker is a small embedded STOMP 1.0/1.1/1.2 broker used by
// `stomp serve`, `stomp --embedded` and by the project's tests.
//
// It is a development and test broker, not a production one: everything
// lives in memory, nothing is persisted, and there is no clustering.
package broker
