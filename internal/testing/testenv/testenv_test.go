package testenv

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how Missing ended the test.
type recorder struct {
	testing.TB
	fatal, skip string
	wentOn      bool
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Skip(args ...any)  { r.skip = fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) run(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
		r.wentOn = true
	}()
	<-done
}

// Missing skips outside CI and fails under CI=true, saying why; FailInCI
// lets the test go on outside CI.
func TestMissing(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{}
	r.run(func(tb testing.TB) { Missing(tb, "no tmux") })
	if r.skip != "no tmux" || r.fatal != "" || r.wentOn {
		t.Errorf("outside CI: %+v, want a skip saying why", r)
	}
	r = &recorder{}
	r.run(func(tb testing.TB) { FailInCI(tb, "no tmux") })
	if !r.wentOn || r.fatal != "" || r.skip != "" {
		t.Errorf("FailInCI outside CI: %+v, want the test to go on", r)
	}

	t.Setenv("CI", "true")
	r = &recorder{}
	r.run(func(tb testing.TB) { Missing(tb, "no tmux") })
	if !strings.HasPrefix(r.fatal, "no tmux; CI=true") || r.skip != "" || r.wentOn {
		t.Errorf("under CI: %+v, want a failure saying why", r)
	}
}
