// Package secret asks for a password on the terminal without echoing it,
// checks passwords that STOMP cannot carry intact, and says how a password
// is shown (Mask).
package secret

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// Mask is what a password shows as wherever stomp prints one: a traced
// frame's passcode header, a context's password, the password in a broker
// URL, an error that quoted it. One mask, so it reads the same everywhere.
const Mask = "********"

// ErrNoTerminal means there is no terminal to ask on.
var ErrNoTerminal = errors.New("no terminal to ask for the password on")

// TTYPath is the controlling terminal; a variable for tests.
var TTYPath = "/dev/tty"

// Prompt writes prompt to the controlling terminal and reads a line from
// it with echo off. It reads the terminal, not standard input, so a script
// piped on standard input is left alone.
func Prompt(prompt string) (string, error) {
	tty, err := os.OpenFile(TTYPath, os.O_RDWR, 0)
	if err != nil {
		return "", ErrNoTerminal
	}
	defer tty.Close()
	if !term.IsTerminal(int(tty.Fd())) {
		return "", ErrNoTerminal
	}
	if _, err := fmt.Fprint(tty, prompt); err != nil {
		return "", err
	}
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty) // the Enter the user typed was not echoed
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(b), nil
}

// Unsafe reports whether a passcode holds characters that go-stomp's frame
// encoder escapes in header values (':' '\\' CR LF). The STOMP 1.2 spec says
// CONNECT headers are not escaped, so a broker reads such a passcode with
// the backslash sequences in it and refuses the login.
func Unsafe(passcode string) bool {
	return strings.ContainsAny(passcode, ":\\\r\n")
}
