package cmd_test

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/stomp-cli/stomp/cmd"
	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// TestMain lets testscript run the real CLI inside the test binary: the
// `stomp` command in scripts is cmd.Main, with its own process, arguments,
// standard streams and exit code.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"stomp": func() { os.Exit(cmd.Main()) }})
}

// TestScripts runs every testdata/script/*.txtar against the embedded
// broker and against each real broker configured (STOMP_TEST_RABBITMQ,
// STOMP_TEST_ACTIVEMQ). Scripts see the broker through STOMP_HOST,
// STOMP_PORT, STOMP_USER and STOMP_PASSWORD, fresh destinations in $Q, $Q2
// and $T, and can test per-broker behaviour with [broker:NAME].
func TestScripts(t *testing.T) {
	for _, target := range testbroker.All(t) {
		t.Run(target.Name, func(t *testing.T) {
			auth := authTarget(t, target)
			testscript.Run(t, testscript.Params{
				Dir:                 "testdata/script",
				RequireExplicitExec: true,
				Setup: func(e *testscript.Env) error {
					e.Setenv("STOMP_HOST", target.Host)
					e.Setenv("STOMP_PORT", target.Port)
					e.Setenv("STOMP_USER", target.Login)
					e.Setenv("STOMP_PASSWORD", target.Passcode)
					e.Setenv("BROKER", target.Name)
					e.Setenv("AUTH_HOST", auth.Host)
					e.Setenv("AUTH_PORT", auth.Port)
					e.Setenv("AUTH_USER", auth.Login)
					e.Setenv("AUTH_PASS", auth.Passcode)
					e.Setenv("Q", testbroker.Unique(t, "/queue/"))
					e.Setenv("Q2", testbroker.Unique(t, "/queue/"))
					e.Setenv("Q3", testbroker.Unique(t, "/queue/"))
					e.Setenv("T", testbroker.Unique(t, "/topic/"))
					e.Setenv("HOME", e.WorkDir)
					e.Setenv("XDG_STATE_HOME", e.WorkDir+"/state")
					e.Setenv("NO_COLOR", "")
					return nil
				},
				Condition: func(cond string) (bool, error) {
					if name, ok := strings.CutPrefix(cond, "broker:"); ok {
						return name == target.Name, nil
					}
					return false, nil
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					// expand FILE...: replace $VARS in files with the script's
					// environment, so script files can use $Q.
					"expand": func(ts *testscript.TestScript, neg bool, args []string) {
						for _, f := range args {
							text := os.Expand(ts.ReadFile(f), ts.Getenv)
							ts.Check(os.WriteFile(ts.MkAbs(f), []byte(text), 0o644))
						}
					},
					// exitcode N PROG ARGS...: run PROG and require exit status N
					// (exec only tells zero from non-zero).
					"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
						want, err := strconv.Atoi(args[0])
						ts.Check(err)
						err = ts.Exec(args[1], args[2:]...)
						got := 0
						var ee *exec.ExitError
						if errors.As(err, &ee) {
							got = ee.ExitCode()
						} else if err != nil {
							ts.Fatalf("%v", err)
						}
						if got != want {
							ts.Fatalf("exit status %d, want %d", got, want)
						}
					},
					// waitfile FILE REGEXP: wait (up to a minute) until FILE
					// matches REGEXP, e.g. until a background listener has
					// said it subscribed; a fixed sleep is too short on a
					// loaded machine.
					"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
						if len(args) != 2 {
							ts.Fatalf("usage: waitfile FILE REGEXP")
						}
						re := regexp.MustCompile(args[1])
						for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
							if b, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && re.Match(b) {
								return
							}
							if time.Now().After(deadline) {
								ts.Fatalf("%s does not match %q after a minute", args[0], args[1])
							}
						}
					},
					"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
						d, err := time.ParseDuration(args[0])
						ts.Check(err)
						time.Sleep(d)
					},
				},
			})
		})
	}
}

// authTarget is a broker that requires a login: the real brokers do
// already; for the embedded one we start a second with a password.
func authTarget(t *testing.T, target testbroker.Target) testbroker.Target {
	if target.Name != testbroker.NameEmbedded {
		return target
	}
	b, err := broker.Start(broker.Config{Login: "admin", Passcode: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	a := target
	a.Host, a.Port = strings.Split(b.Addr(), ":")[0], strings.Split(b.Addr(), ":")[1]
	a.Login, a.Passcode = "admin", "s3cret"
	return a
}
