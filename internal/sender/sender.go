// Package sender is the engine behind every send command: the shell's
// send, sendrec, sendreply and sendfile and `stomp send` all hand it a
// Source (one body, a body repeated or templated N times, the lines of a
// stream, or JSON lines as `listen --format json` writes them), and it
// sends each message in order, paced to a rate, naming the message that
// failed. (The engines that pass messages on, such as shovel, reply and
// --dead-letter, send through the session themselves.)
package sender

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Message is one message to send.
type Message struct {
	Dest string
	Body []byte
	// Headers go after the job's own (in STOMP the first of repeated
	// headers wins, so the job's flags win).
	Headers [][2]string
	// Name says which message this is in an error ("line 3"); empty for
	// the only one.
	Name string
}

// Source yields the messages to send, in the way of bufio.Scanner: Scan
// moves to the next one, Message builds it (a template is rendered then,
// just before it is sent), and Err says why Scan stopped early.
type Source interface {
	Scan() bool
	Message() (Message, error)
	Err() error
}

// Send sends every message of src with opts, at most perSecond of them a
// second (0: as fast as the connection takes them). Session.Send blocks
// while the connection's queue is full, so a stream runs in constant
// memory.
func Send(ctx context.Context, sess *session.Session, src Source, opts session.SendOptions, perSecond float64) error {
	p := newPacer(perSecond)
	for src.Scan() {
		if err := p.wait(ctx); err != nil {
			return err
		}
		m, err := src.Message()
		if err != nil {
			return err
		}
		o := opts
		if len(m.Headers) > 0 {
			o.Headers = append(slices.Clone(opts.Headers), m.Headers...)
		}
		if err := sess.Send(ctx, m.Dest, m.Body, o); err != nil {
			if m.Name != "" {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			return err
		}
	}
	return src.Err()
}

// One is the source of a single message.
func One(dest string, body []byte) Source {
	return &repeat{dest: dest, body: func(int) ([]byte, error) { return body, nil }, count: 1}
}

// Repeat is the source of count messages to dest; body gives message n's
// body (n from 1). Each is named "message n" in an error.
func Repeat(dest string, body func(n int) ([]byte, error), count int) Source {
	return &repeat{dest: dest, body: body, count: count, named: true}
}

type repeat struct {
	dest     string
	body     func(n int) ([]byte, error)
	count, n int
	named    bool
}

func (r *repeat) Scan() bool { r.n++; return r.n <= r.count }
func (r *repeat) Err() error { return nil }

func (r *repeat) Message() (Message, error) {
	b, err := r.body(r.n)
	if err != nil {
		return Message{}, err
	}
	m := Message{Dest: r.dest, Body: b}
	if r.named {
		m.Name = fmt.Sprintf("message %d", r.n)
	}
	return m, nil
}

// NewID is a random id: 16 hex digits.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
