package client

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

// Options describe the STOMP session to open on a connection.
type Options struct {
	Login, Passcode string
	// Vhost is the CONNECT host header. RabbitMQ reads it as the virtual
	// host and refuses a host name, so the default is "/", which RabbitMQ,
	// ActiveMQ and our embedded broker all accept.
	Vhost string
	// Versions offered in accept-version; empty means 1.0, 1.1 and 1.2.
	Versions []string
	// HeartBeatSend (cx) is how often we can send heart-beats, HeartBeatRecv
	// (cy) how often we want to hear from the broker; 0 = never.
	HeartBeatSend, HeartBeatRecv time.Duration
	// UseStompFrame sends STOMP instead of CONNECT (1.1+ only).
	UseStompFrame bool
	// MaxFrameSize bounds a frame from the broker; default 64 MiB.
	MaxFrameSize int
	// IncomingBuffer is how many frames Incoming holds; default 1024.
	IncomingBuffer int
	// Trace, when set, sees every frame in and out (not heart-beats). It
	// runs on the connection's goroutines: it must not block for long.
	Trace func(Direction, *frame.Frame)
}

// DefaultMaxFrameSize bounds frames from the broker unless told otherwise.
const DefaultMaxFrameSize = 64 << 20

func (o *Options) setDefaults() {
	if o.MaxFrameSize == 0 {
		o.MaxFrameSize = DefaultMaxFrameSize
	}
	if o.IncomingBuffer == 0 {
		o.IncomingBuffer = 1024
	}
	if len(o.Versions) == 0 {
		o.Versions = []string{"1.0", "1.1", "1.2"}
	}
}

// connectFrame builds CONNECT. A client pinned to 1.0 sends no
// accept-version at all, as 1.0 clients do: stomp.py's accept-version:1.0
// is refused by some brokers (reference §11.20).
func (o *Options) connectFrame() *frame.Frame {
	only10 := len(o.Versions) == 1 && o.Versions[0] == "1.0"
	cmd := frame.CONNECT
	if o.UseStompFrame && !only10 {
		cmd = frame.STOMP
	}
	f := frame.New(cmd)
	if !only10 {
		f.Header.Add(frame.AcceptVersion, strings.Join(o.Versions, ","))
	}
	if o.Vhost != "" {
		f.Header.Add(frame.Host, o.Vhost)
	}
	if o.Login != "" || o.Passcode != "" {
		f.Header.Add(frame.Login, o.Login)
		f.Header.Add(frame.Passcode, o.Passcode)
	}
	if !only10 {
		f.Header.Add(frame.HeartBeat, ms(o.HeartBeatSend)+","+ms(o.HeartBeatRecv))
	}
	return f
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// VersionError is a CONNECTED frame naming a protocol version we did not
// offer: talking on would mean guessing the broker's rules.
type VersionError struct {
	Got     string // as the broker sent it; "" when it sent none (1.0)
	Offered []string
}

func (e *VersionError) Error() string {
	offered := strings.Join(e.Offered, ", ")
	if e.Got == "" {
		return "the broker answered CONNECT without a version, so it speaks only STOMP 1.0, which was not offered (offered " + offered + "): connect with -S 1.0"
	}
	return "the broker answered CONNECT with STOMP version " + strconv.Quote(e.Got) + ", which was not offered (offered " + offered + ")"
}

// checkVersion refuses a negotiated version that was not offered. A
// CONNECTED without a version header means 1.0 (STOMP 1.1 spec).
func (o *Options) checkVersion(version string, sent bool) error {
	if slices.Contains(o.Versions, version) {
		return nil
	}
	got := version
	if !sent {
		got = ""
	}
	return &VersionError{Got: got, Offered: o.Versions}
}
