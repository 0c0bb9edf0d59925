// Package testenv decides what a test does when something it needs is
// missing from the machine: a real broker, a tool, a client library.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run under CI=true, as .ci/run runs them.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing ends a test that cannot run here because of why (which says what
// is missing and how to get it). It skips the test, except under CI=true:
// .ci/run installs and starts everything the tests need, so there a missing
// piece is a broken install, which must fail rather than hide behind a skip.
func Missing(t testing.TB, why string) {
	t.Helper()
	FailInCI(t, why)
	t.Skip(why)
}

// FailInCI fails the test under CI=true for the reason Missing gives, and
// otherwise lets it go on (with what it has) or skip as the caller decides.
func FailInCI(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatal(why + "; CI=true and .ci/run provides it, so the install is broken")
	}
}
