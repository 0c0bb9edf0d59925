// Package msgexec runs a shell command for a received message, with the
// body on its standard input and the headers in STOMP_HEADER_<NAME>
// variables: what listen --exec and reply --command do with each message.
package msgexec

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"

	"github.com/go-stomp/stomp/v3/frame"
)

// Run runs command with sh -c for message f and returns what it wrote.
// ctx ending kills it.
func Run(ctx context.Context, command string, f *frame.Frame) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdin = bytes.NewReader(f.Body)
	cmd.Env = append(os.Environ(), headerEnv(f)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// headerEnv passes a message's headers to a command as STOMP_HEADER_<NAME>
// (upper case, anything not a letter or digit as _).
func headerEnv(f *frame.Frame) []string {
	var env []string
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		name := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
				return r
			}
			return '_'
		}, k)
		env = append(env, "STOMP_HEADER_"+name+"="+v)
	}
	return env
}
