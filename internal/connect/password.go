package connect

import (
	"fmt"
	"os/exec"
	"strings"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// password settles t's password: the context's password_command when
// nothing else gave one, then the terminal prompt (see askPassword).
func (r *resolver) password(t *target) error {
	if !t.passwordSet && t.passwordCommand != "" {
		pw, err := r.runPasswordCommand(t.passwordCommand)
		if err != nil {
			return err
		}
		t.password, t.passwordSet = pw, true
	}
	return r.askPassword(t)
}

// runPasswordCommand runs a context's password_command with the shell and
// returns its output's first line. Its standard error and input are the
// user's, so a tool such as pass can ask for its own passphrase.
func (r *resolver) runPasswordCommand(command string) (string, error) {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Stdin, cmd.Stderr = r.ios.In, r.ios.Err
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("the context's password_command %q failed: %v", command, err)
	}
	pw, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSuffix(pw, "\r"), nil
}

// askPassword prompts on the terminal, without echo, for -W - and for a
// login given without a password while standard input is a terminal.
func (r *resolver) askPassword(t *target) error {
	asked := t.passwordSet && t.password == "-"
	if !asked && (t.passwordSet || t.user == "" || !r.ios.IsStdinTTY()) {
		return nil
	}
	prompt := "Password: "
	if t.user != "" {
		prompt = fmt.Sprintf("Password for %s: ", t.user)
	}
	pw, err := r.ios.AskPassword(prompt)
	if err != nil {
		if asked {
			return exitcode.Usagef("-W -: cannot ask for the password: %v (set STOMP_PASSWORD instead)", err)
		}
		return nil // no terminal after all: connect without a password
	}
	t.password = pw
	return nil
}
