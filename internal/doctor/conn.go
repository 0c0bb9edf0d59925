package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// pconn is one probe's connection: requests bounded by the receipt
// timeout, and the frames nobody waits for read one by one.
type pconn struct {
	d *Doctor
	c *client.Conn
}

func (d *Doctor) dial(ctx context.Context, edit func(*client.Options)) (*pconn, error) {
	o := d.cfg.Options
	o.Trace = d.cfg.Trace
	if edit != nil {
		edit(&o)
	}
	c, err := d.cfg.Dial(ctx, o)
	if err != nil {
		return nil, err
	}
	return &pconn{d: d, c: c}, nil
}

// request sends f with a receipt and waits for the answer.
func (p *pconn) request(ctx context.Context, f *frame.Frame) error {
	ctx, cancel := context.WithTimeout(ctx, p.d.cfg.ReceiptTimeout)
	defer cancel()
	_, err := p.c.Request(ctx, f)
	return err
}

// send sends a message to dest with a receipt; kv are extra headers.
func (p *pconn) send(ctx context.Context, dest, body string, kv ...string) error {
	f := frame.New(frame.SEND, frame.Destination, dest, frame.ContentLength, strconv.Itoa(len(body)))
	for i := 0; i+1 < len(kv); i += 2 {
		f.Header.Add(kv[i], kv[i+1])
	}
	f.Body = []byte(body)
	if p.d.cfg.sentTo != nil {
		p.d.cfg.sentTo(dest)
	}
	return p.request(ctx, f)
}

// subscribe subscribes with a receipt; kv are extra headers.
func (p *pconn) subscribe(ctx context.Context, dest, id, ack string, kv ...string) error {
	f := frame.New(frame.SUBSCRIBE, frame.Destination, dest, frame.Id, id, frame.Ack, ack)
	for i := 0; i+1 < len(kv); i += 2 {
		f.Header.Add(kv[i], kv[i+1])
	}
	return p.request(ctx, f)
}

func (p *pconn) unsubscribe(ctx context.Context, dest, id string) error {
	return p.request(ctx, frame.New(frame.UNSUBSCRIBE, frame.Id, id, frame.Destination, dest))
}

// ack acknowledges (or NACKs) m the way the negotiated version wants; kv
// are extra headers (transaction).
func (p *pconn) ack(ctx context.Context, command string, m *frame.Frame, kv ...string) error {
	f := session.AckFrame(p.c.Version(), command, &session.Pending{
		MessageID: m.Header.Get(frame.MessageId), AckID: m.Header.Get(frame.Ack), Subscription: m.Header.Get(frame.Subscription)})
	for i := 0; i+1 < len(kv); i += 2 {
		f.Header.Add(kv[i], kv[i+1])
	}
	return p.request(ctx, f)
}

// errEnded says the connection ended while we waited for a frame.
var errEnded = errors.New("the connection ended")

// next returns the next MESSAGE (or unsolicited ERROR) within d; nil, nil
// when none came.
func (p *pconn) next(ctx context.Context, d time.Duration) (*frame.Frame, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case f, ok := <-p.c.Incoming():
			if !ok {
				if err := p.c.Err(); err != nil && !errors.Is(err, client.ErrClosed) {
					return nil, err
				}
				return nil, errEnded
			}
			switch f.Command {
			case frame.MESSAGE:
				return f, nil
			case frame.ERROR:
				return nil, &client.BrokerError{Frame: f}
			}
		case <-t.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// collect gathers the messages that arrive within d, returning early once
// it has want of them (want 0: wait the whole time).
func (p *pconn) collect(ctx context.Context, d time.Duration, want int) ([]*frame.Frame, error) {
	var got []*frame.Frame
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 || (want > 0 && len(got) >= want) {
			return got, nil
		}
		m, err := p.next(ctx, left)
		if err != nil {
			return got, err
		}
		if m == nil {
			return got, nil
		}
		got = append(got, m)
	}
}

// close disconnects politely, briefly; a probe's verdict is already made.
func (p *pconn) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.c.Disconnect(ctx)
}

// unique returns a name no one else uses: stomp-doctor-<random>-<what>.
func unique(what string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "stomp-doctor-" + hex.EncodeToString(b[:]) + "-" + what
}

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
