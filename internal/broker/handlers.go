package broker

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
)

// ServerName goes into CONNECTED's server header.
const ServerName = "stomp-embedded/1.0"

// supportedVersions is sent in the version header of a version ERROR.
const supportedVersions = "1.0,1.1,1.2"

// handle processes one client frame. A returned *protoError becomes an
// ERROR frame (with receipt-id when f had a receipt) and the connection
// is closed. Receipts are sent only after the frame took effect.
func (c *conn) handle(f *frame.Frame) error {
	if !c.connected {
		if f.Command != frame.CONNECT && f.Command != frame.STOMP {
			return protoErr("not connected", "the first frame must be CONNECT or STOMP, not %s", f.Command)
		}
		return c.onConnect(f)
	}
	receipt, wantReceipt := f.Header.Contains(frame.Receipt)
	if f.Command == frame.DISCONNECT {
		// Open transactions are discarded with the connection.
		if wantReceipt {
			c.pushControl(frame.New(frame.RECEIPT, frame.ReceiptId, receipt))
		}
		return errDisconnect
	}
	if f.Command == frame.SEND || f.Command == frame.COMMIT {
		c.r.waitForRoom() // flow control: memory of held messages
	}
	if !wantReceipt {
		return c.apply(f)
	}
	// The RECEIPT follows the frame's effects and precedes the MESSAGEs
	// they cause (see outbox.hold).
	c.out.hold()
	err := c.apply(f)
	if err != nil {
		c.out.release(nil)
		return err
	}
	c.out.release(frame.New(frame.RECEIPT, frame.ReceiptId, receipt))
	return nil
}

// apply carries out a frame of a connected session.
func (c *conn) apply(f *frame.Frame) error {
	switch f.Command {
	case frame.CONNECT, frame.STOMP:
		return protoErr("already connected", "%s received on a connected session", f.Command)
	case frame.SEND:
		return c.onSend(f)
	case frame.SUBSCRIBE:
		return c.onSubscribe(f)
	case frame.UNSUBSCRIBE:
		return c.onUnsubscribe(f)
	case frame.ACK, frame.NACK:
		return c.onAck(f)
	case frame.BEGIN:
		return c.onBegin(f)
	case frame.COMMIT:
		return c.onCommit(f)
	case frame.ABORT:
		return c.onAbort(f)
	}
	return protoErr("unknown command", "unknown command %q", f.Command)
}

// negotiate picks the highest version both sides support. No
// accept-version header means STOMP 1.0.
func negotiate(accept string, present bool) (wire.Version, bool) {
	if !present {
		return wire.V10, true
	}
	best := wire.Unnegotiated
	for _, v := range strings.Split(accept, ",") {
		switch strings.TrimSpace(v) {
		case "1.0":
			best = max(best, wire.V10)
		case "1.1":
			best = max(best, wire.V11)
		case "1.2":
			best = max(best, wire.V12)
		}
	}
	return best, best != wire.Unnegotiated
}

// credentialMatches compares a CONNECT's login or passcode with the one
// configured, as sent and, failing that, unescaped. The spec sends CONNECT
// headers as they are, and stomp.py does; go-stomp's encoder, and so stomp's
// own client, escapes ':' and '\' there, and RabbitMQ takes either. Both
// must log in to stomp serve with a password such as "p:w".
func credentialMatches(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 ||
		subtle.ConstantTimeCompare([]byte(wire.Unescape(got)), []byte(want)) == 1
}

func (c *conn) onConnect(f *frame.Frame) error {
	accept, present := f.Header.Contains(frame.AcceptVersion)
	ver, ok := negotiate(accept, present)
	if !ok {
		return &protoError{
			msg:     "unsupported STOMP version",
			detail:  "this broker supports STOMP " + supportedVersions + "; the client accepts " + accept,
			headers: []string{frame.Version, supportedVersions},
		}
	}
	if cfg := c.b.cfg; cfg.Login != "" {
		login, hasLogin := f.Header.Contains(frame.Login)
		pass := f.Header.Get(frame.Passcode)
		if !hasLogin {
			return protoErr("access refused", "this broker requires a login and passcode")
		}
		if !credentialMatches(login, cfg.Login) || !credentialMatches(pass, cfg.Passcode) {
			return protoErr("access refused", "bad login or passcode")
		}
	}
	var send, recv time.Duration
	hb := c.b.cfg.HeartBeat
	if ver >= wire.V11 && hb > 0 {
		cx, cy, ok := parseHeartBeat(f.Header.Get(frame.HeartBeat))
		if !ok {
			return protoErr("invalid heart-beat", "heart-beat must be two comma-separated millisecond counts, got %q", f.Header.Get(frame.HeartBeat))
		}
		if cy > 0 {
			send = max(hb, cy)
		}
		if cx > 0 {
			recv = max(hb, cx)
		}
	}
	c.ver = ver
	c.dec.SetVersion(ver)
	c.dec.SetMaxFrameSize(c.b.cfg.MaxFrameSize)
	c.dec.Grow(readBufSize)
	c.connected = true
	// Grace of twice the negotiated interval before a silent client is
	// dropped (0 disables the read deadline).
	c.rd.until = time.Time{}
	c.rd.timeout = 2 * recv
	hbHeader := "0,0"
	if ver >= wire.V11 && hb > 0 {
		ms := strconv.FormatInt(int64(hb/time.Millisecond), 10)
		hbHeader = ms + "," + ms
	}
	cf := frame.New(frame.CONNECTED,
		frame.Version, ver.String(),
		frame.Server, ServerName,
		frame.Session, c.session,
		frame.HeartBeat, hbHeader)
	c.out.push(outItem{f: cf, heartBeat: send}, 128)
	c.logf("connected (STOMP %s, heart-beats sent every %v, dropped after %v of silence; 0 = off)", ver, send, 2*recv)
	return nil
}

func (c *conn) onSend(f *frame.Frame) error {
	if f.Header.Get(frame.Destination) == "" {
		return protoErr("missing destination", "SEND needs a destination header")
	}
	if tx, ok := f.Header.Contains(frame.Transaction); ok {
		return c.buffer(tx, f)
	}
	c.r.publish(c, f)
	return nil
}

func (c *conn) onSubscribe(f *frame.Frame) error {
	dest := f.Header.Get(frame.Destination)
	if dest == "" {
		return protoErr("missing destination", "SUBSCRIBE needs a destination header")
	}
	id, ok := f.Header.Contains(frame.Id)
	if !ok || id == "" {
		if c.ver != wire.V10 {
			return protoErr("missing id", "SUBSCRIBE needs an id header")
		}
		id = dest // STOMP 1.0: the id is optional
	}
	mode, ok := parseAckMode(f.Header.Get(frame.Ack))
	if !ok {
		return protoErr("invalid ack mode", "ack must be auto, client or client-individual, got %q", f.Header.Get(frame.Ack))
	}
	return c.r.subscribe(c, id, dest, mode)
}

func (c *conn) onUnsubscribe(f *frame.Frame) error {
	id := f.Header.Get(frame.Id)
	if id == "" && c.ver == wire.V10 {
		id = f.Header.Get(frame.Destination)
	}
	if id == "" {
		return protoErr("missing id", "UNSUBSCRIBE needs an id header")
	}
	return c.r.unsubscribe(c, id)
}

func (c *conn) onAck(f *frame.Frame) error {
	if tx, ok := f.Header.Contains(frame.Transaction); ok {
		if err := c.r.checkAck(c, f); err != nil {
			return err
		}
		return c.buffer(tx, f)
	}
	return c.r.ack(c, f, f.Command == frame.NACK)
}
