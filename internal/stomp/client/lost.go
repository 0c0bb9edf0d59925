package client

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// inWords says why a connection ended the way a user would: Go's network
// errors name both ends and the system call ("read tcp
// 127.0.0.1:50522->127.0.0.1:61613: read: connection reset by peer"); what
// matters is what happened, and the broker's address once. The error it
// returns still wraps err, for errors.Is and errors.As.
func inWords(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &wordedError{words: "the broker closed the connection", err: err}
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		return err
	}
	var words string
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		words = "connection reset by the broker"
	case errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		words = "the broker closed the connection"
	case errors.Is(err, syscall.ETIMEDOUT):
		words = "timed out: the network or the broker stopped answering"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		words = "the broker's network can no longer be reached"
	default:
		// Something rarer: the system's own words, without the socket's.
		inner := op.Err
		var sc *os.SyscallError
		if errors.As(inner, &sc) {
			inner = sc.Err
		}
		words = inner.Error()
	}
	if op.Addr != nil {
		words += " (" + op.Addr.String() + ")"
	}
	return &wordedError{words: words, err: err}
}

// wordedError is an error told in other words.
type wordedError struct {
	words string
	err   error
}

func (e *wordedError) Error() string { return e.words }
func (e *wordedError) Unwrap() error { return e.err }
