// Package session is a connection's life and the state a user builds on
// it: Open dials the brokers of a Config (failover), Receive delivers what
// arrives to a Sink and reconnects after a loss, reporting each step; the
// session keeps the subscriptions, the open transaction, the messages
// awaiting ack and those sent but not yet confirmed, and restores them on
// the new connection. Every front end (shell, script, listen) works through
// it, so the protocol rules that differ between STOMP versions live in one
// place.
package session

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

// Ack modes a subscription can have.
const (
	AckAuto             = "auto"
	AckClient           = "client"
	AckClientIndividual = "client-individual"
)

// Subscription is one SUBSCRIBE the user made.
type Subscription struct {
	ID          string
	Destination string
	Ack         string
	Headers     [][2]string
}

// Pending is a received message that still needs an ACK or NACK.
type Pending struct {
	Num          uint64 // the local number the shell shows it with
	MessageID    string
	AckID        string // the 1.2 ack header
	Subscription string
	seq          uint64
	gen          uint64 // the connection it came on: acks are only valid there
}

// Session is safe for concurrent use: commands run on one goroutine while
// incoming messages are observed on another.
type Session struct {
	connMu         sync.RWMutex
	conn           *client.Conn
	gen            uint64 // bumped at each reconnect
	redial         func(context.Context) (*client.Conn, error)
	cfg            Config // what Open was given; zero after New
	closing        chan struct{}
	closeOnce      sync.Once
	connects       uint64        // connections opened after the first
	losses         uint64        // connections lost (not closed by us)
	past           Traffic       // what the connections replaced so far carried
	wake           chan struct{} // TryNow: a waiting Reconnect tries at once
	receiptTimeout time.Duration

	mu        sync.Mutex
	subs      []*Subscription
	nextSubID int
	tx        string
	pending   map[string]*Pending // by message-id
	// dropped holds the messages that awaited an ack when their connection
	// was lost: an ack for one must not go out on the new connection,
	// where its id means nothing (RabbitMQ: "unknown delivery tag").
	dropped  map[string]*Pending
	rawSubs  map[string]bool // ids subscribed with raw frames: their messages are ours too
	seq      uint64
	received uint64
	errors   uint64
	// The reconnect state (see Reconnect).
	streak      int       // failed and young connections in a row: the back-off's step
	connectedAt time.Time // when the current connection was made
	nextTry     time.Time // when a waiting Reconnect tries next; zero if none waits
	ledger      ledger    // messages sent but not yet confirmed (ledger.go)
	// unsubscribedOn is the connection an UNSUBSCRIBE of ours last went
	// out on: from then on a delivery may cross it (crossedUnsubscribe).
	unsubscribedOn *client.Conn
	// givenBack holds the ids of the client-ack subscriptions Unsubscribe
	// ended: a message for one was on its way (received before the
	// UNSUBSCRIBE's receipt, or crossing it) and the broker has it back.
	givenBack map[string]bool

	sendMu sync.Mutex // held while a tracked message is recorded and queued
}

// maxPending bounds the messages remembered for ack: a user who subscribes
// with client ack and never acks must not make us grow without limit. The
// broker stops sending long before this on every broker we know.
const maxPending = 100000

// New wraps an open connection.
func New(conn *client.Conn, receiptTimeout time.Duration) *Session {
	if receiptTimeout <= 0 {
		receiptTimeout = 10 * time.Second
	}
	s := &Session{conn: conn, receiptTimeout: receiptTimeout, nextSubID: 1, pending: map[string]*Pending{},
		closing: make(chan struct{}), wake: make(chan struct{}, 1), connectedAt: time.Now(), ledger: newLedger()}
	conn.OnConfirm(s.confirmed)
	return s
}

// Conn is the current connection (a new one after a reconnect).
func (s *Session) Conn() *client.Conn {
	s.connMu.RLock()
	defer s.connMu.RUnlock()
	return s.conn
}

func (s *Session) generation() uint64 {
	s.connMu.RLock()
	defer s.connMu.RUnlock()
	return s.gen
}

// ReceiptTimeout is how long to wait for a broker receipt (--receipt-timeout).
func (s *Session) ReceiptTimeout() time.Duration { return s.receiptTimeout }

// Version is the negotiated protocol version.
func (s *Session) Version() string { return s.Conn().Version() }

// request sends f and waits for its receipt, bounded by the receipt timeout.
func (s *Session) request(ctx context.Context, f *frame.Frame) error {
	ctx, cancel := context.WithTimeout(ctx, s.receiptTimeout)
	defer cancel()
	_, err := s.Conn().Request(ctx, f)
	var te *client.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("%w after %v (raise --receipt-timeout if the broker is slow)", err, s.receiptTimeout)
	}
	return err
}

// SendOptions are the optional parts of a SEND.
type SendOptions struct {
	Headers     [][2]string
	Receipt     bool // wait until the broker confirms
	Transaction bool // put it in the open transaction, if any
}

// ErrEmptyDestination refuses a SEND or SUBSCRIBE to "" (a shell variable
// that was not set) before the broker answers it with an ERROR.
var ErrEmptyDestination = exitcode.Usagef("the destination is empty: give one such as /queue/a")

// Send sends one message. If ctx ends before the message is queued on the
// connection, Send returns ctx.Err() and the message was not sent.
func (s *Session) Send(ctx context.Context, dest string, body []byte, o SendOptions) error {
	if dest == "" {
		return ErrEmptyDestination
	}
	// The headers are gathered first and the frame's header list made once
	// at its size: adding them one by one regrows it for every message of
	// a stream.
	kv := make([]string, 0, 16)
	kv = append(kv, frame.Destination, dest)
	for _, h := range o.Headers {
		if h[0] == frame.Destination || h[0] == frame.ContentLength {
			continue // ours win: the broker must see the real length
		}
		kv = append(kv, h[0], h[1])
	}
	kv = append(kv, frame.ContentLength, strconv.Itoa(len(body)))
	f := &frame.Frame{Command: frame.SEND, Header: frame.NewHeader(kv...), Body: body}
	if o.Transaction {
		if tx := s.Transaction(); tx != "" {
			f.Header.Set(frame.Transaction, tx)
			if o.Receipt {
				// RabbitMQ answers a transactional SEND's receipt only at
				// COMMIT, so waiting here would hang; the COMMIT's own
				// receipt confirms it.
				f.Header.Set(frame.Receipt, s.Conn().NewID("rcpt-"))
			}
			// Not in the ledger: if the connection is lost, the broker
			// aborts the transaction and Reconnect reports it.
			return s.Conn().Send(ctx, f)
		}
	}
	_, userReceipt := f.Header.Contains(frame.Receipt)
	seq, err := s.sendTracked(ctx, f, o.Receipt || userReceipt)
	if err != nil || !o.Receipt {
		return err
	}
	// On the wire now: its fate is known only from its receipt, so ctx
	// ending (Ctrl-C) does not stop the wait. Stopped, shovel still acks
	// its source once the copy is confirmed, and `send --receipt` still
	// counts it. The wait is bounded by the receipt timeout, as Flush's.
	return s.awaitConfirm(context.WithoutCancel(ctx), seq)
}

// Subscribe subscribes to dest with a new numeric id, as stomp.py does, and
// waits for the broker's receipt so a refused destination is reported here.
func (s *Session) Subscribe(ctx context.Context, dest, ack string, headers [][2]string) (*Subscription, error) {
	return s.SubscribeAnnounced(ctx, dest, ack, headers, nil)
}

// SubscribeAnnounced is Subscribe that calls announce, when not nil, once
// the subscription has its id and before the SUBSCRIBE goes out: what
// announce prints comes before any message of the subscription, as
// stomp.py's "Subscribing to" line does. Under STOMP 1.0 client-individual
// is sent as is: it is a 1.1 mode, but RabbitMQ and ActiveMQ honour it.
func (s *Session) SubscribeAnnounced(ctx context.Context, dest, ack string, headers [][2]string, announce func(*Subscription)) (*Subscription, error) {
	switch ack {
	case AckAuto, AckClient, AckClientIndividual:
	default:
		return nil, exitcode.Usagef("unknown ack mode %q: use auto, client or client-individual", ack)
	}
	if dest == "" {
		return nil, ErrEmptyDestination
	}
	s.mu.Lock()
	for _, sub := range s.subs {
		if sub.Destination == dest {
			s.mu.Unlock()
			return nil, exitcode.Usagef("Already subscribed to %s", dest)
		}
	}
	sub := &Subscription{ID: strconv.Itoa(s.nextSubID), Destination: dest, Ack: ack, Headers: headers}
	s.nextSubID++
	s.subs = append(s.subs, sub)
	s.mu.Unlock()

	if announce != nil {
		announce(sub)
	}
	if err := s.request(ctx, sub.frame()); err != nil {
		s.forget(sub)
		return nil, err
	}
	return sub, nil
}

// frame is the SUBSCRIBE for sub; the user's headers cannot override the
// ones that identify it.
func (sub *Subscription) frame() *frame.Frame {
	f := frame.New(frame.SUBSCRIBE, frame.Destination, sub.Destination, frame.Id, sub.ID, frame.Ack, sub.Ack)
	for _, h := range sub.Headers {
		if h[0] != frame.Destination && h[0] != frame.Id && h[0] != frame.Ack {
			f.Header.Add(h[0], h[1])
		}
	}
	return f
}

func (s *Session) forget(sub *Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.subs {
		if x == sub {
			s.subs = append(s.subs[:i], s.subs[i+1:]...)
			break
		}
	}
	for id, p := range s.pending {
		if p.Subscription == sub.ID {
			delete(s.pending, id)
		}
	}
}

// Subscriptions returns the current subscriptions in the order made.
func (s *Session) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Subscription, len(s.subs))
	for i, sub := range s.subs {
		out[i] = *sub
	}
	return out
}

// SubscriptionCount is how many subscriptions are open.
func (s *Session) SubscriptionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// Unsubscribe ends the subscription to dest (or with id dest).
func (s *Session) Unsubscribe(ctx context.Context, dest string) (*Subscription, error) {
	s.mu.Lock()
	var sub *Subscription
	for _, x := range s.subs {
		if x.Destination == dest {
			sub = x
		}
	}
	if sub == nil {
		sub = s.subByID(dest)
	}
	if sub != nil {
		s.unsubscribedOn = s.Conn()
		if sub.Ack != AckAuto {
			if s.givenBack == nil {
				s.givenBack = map[string]bool{}
			}
			s.givenBack[sub.ID] = true
		}
	}
	s.mu.Unlock()
	if sub == nil {
		return nil, exitcode.Usagef("Subscription %s not found", dest)
	}
	f := frame.New(frame.UNSUBSCRIBE, frame.Id, sub.ID, frame.Destination, sub.Destination)
	err := s.request(ctx, f)
	s.forget(sub)
	if s.endedByCrossedUnsubscribe(err) {
		err = nil // the broker had processed the UNSUBSCRIBE: see crossedUnsubscribe
	}
	return sub, err
}

// Observe records a frame from the broker before it is shown: it counts it
// and remembers a MESSAGE that needs an ack. It returns the message's local
// number (1, 2, ... in this session; 0 for other frames) and its pending
// entry, or nil when no ack is needed. A MESSAGE for a subscription that
// does not exist is not counted: its number is 0 (see unknownSubscription).
func (s *Session) Observe(f *frame.Frame) (uint64, *Pending) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch f.Command {
	case frame.ERROR:
		s.errors++
		return 0, nil
	case frame.MESSAGE:
	default:
		return 0, nil
	}
	subID := f.Header.Get(frame.Subscription)
	sub := s.subByID(subID)
	if sub == nil && !s.rawSubs[subID] && s.knowsSubscriptions(subID) {
		return 0, nil
	}
	s.received++
	if sub == nil || sub.Ack == AckAuto {
		return s.received, nil
	}
	s.seq++
	p := &Pending{Num: s.received, MessageID: f.Header.Get(frame.MessageId), AckID: f.Header.Get(frame.Ack),
		Subscription: subID, seq: s.seq, gen: s.generation()}
	if len(s.pending) < maxPending {
		s.pending[p.MessageID] = p
	}
	return s.received, p
}

// unknownSubscription reports a MESSAGE for a subscription this session
// does not have (a broker bug, or an auto-ack one delivered after its
// UNSUBSCRIBE). One for a client-ack subscription we ended is not: the
// frames are received one at a time, so it can come after the
// UNSUBSCRIBE's receipt was handled, and the broker has it back (it was
// never acked): the receiver drops it without a word.
func (s *Session) unknownSubscription(f *frame.Frame) (unknown, givenBack bool) {
	if f.Command != frame.MESSAGE {
		return false, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	subID := f.Header.Get(frame.Subscription)
	if s.subByID(subID) != nil || s.rawSubs[subID] || !s.knowsSubscriptions(subID) {
		return false, false
	}
	return true, s.givenBack[subID]
}

// RawSubscription records a subscription id the user made (subscribed
// true) or ended with a raw frame, so its messages are shown, not
// reported as strays. They are not resubscribed after a reconnect: a raw
// frame is sent once, as written.
func (s *Session) RawSubscription(id string, subscribed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rawSubs == nil {
		s.rawSubs = map[string]bool{}
	}
	if subscribed {
		s.rawSubs[id] = true
	} else {
		delete(s.rawSubs, id)
	}
}

// knowsSubscriptions says whether a MESSAGE's subscription header can be
// trusted to name one of ours: STOMP 1.1 and 1.2 require it; a 1.0 broker
// may leave it out.
func (s *Session) knowsSubscriptions(subID string) bool {
	return subID != "" || s.Version() != "1.0"
}

// PendingCount is how many messages await an ack or nack.
func (s *Session) PendingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Received counts MESSAGE and ERROR frames observed.
func (s *Session) Received() (messages, errors uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received, s.errors
}

// PendingIDs lists the message ids awaiting ack, oldest first.
func (s *Session) PendingIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := make([]*Pending, 0, len(s.pending))
	for _, p := range s.pending {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *Pending) int { return cmp.Compare(a.seq, b.seq) })
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.MessageID
	}
	return ids
}

// resolve finds what an ack or nack refers to: a message id as displayed, or
// in 1.2 also the ack id itself. Unknown ids are passed through as typed, so
// a user can still ack something we never saw (after a restart, say); not
// a number this session gave a message, which is no broker's message-id.
func (s *Session) resolve(id, subID string) (*Pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pending[id]; ok {
		return p, nil
	}
	if p, ok := s.dropped[id]; ok {
		return p, nil // its gen is the lost connection's: ErrStaleAck
	}
	for _, p := range s.pending {
		if p.AckID != "" && p.AckID == id {
			return p, nil
		}
	}
	// The shell's local numbers: "17" (or "#17") and "last".
	if id == "last" {
		var last *Pending
		for _, p := range s.pending {
			if last == nil || p.seq > last.seq {
				last = p
			}
		}
		if last == nil {
			return nil, exitcode.Usagef("no message is awaiting ack")
		}
		return last, nil
	}
	if n, err := strconv.ParseUint(strings.TrimPrefix(id, "#"), 10, 64); err == nil {
		for _, p := range s.pending {
			if p.Num == n {
				return p, nil
			}
		}
		for _, p := range s.dropped {
			if p.Num == n {
				return p, nil // its gen is the lost connection's: ErrStaleAck
			}
		}
		// One of ours that awaits nothing: acked already (in client mode
		// maybe by a later message's ack, which covers it), or needing
		// none. Sent as typed it would name no message, or one the broker
		// has settled: RabbitMQ closes the connection for that.
		if strings.HasPrefix(id, "#") || n >= 1 && n <= s.received {
			return nil, exitcode.Usagef("message #%d is not awaiting ack: already acknowledged, or its subscription needs no ack", n)
		}
	}
	gen := s.generation()
	switch s.Version() {
	case "1.2":
		return &Pending{MessageID: id, AckID: id, Subscription: subID, gen: gen}, nil
	case "1.1":
		if subID == "" {
			return nil, exitcode.Usagef("message %s is not awaiting ack here: give its subscription too (ack <message-id> <subscription-id>)", id)
		}
	}
	return &Pending{MessageID: id, Subscription: subID, gen: gen}, nil
}

// settle removes what an ACK covered: in client mode an ack is cumulative.
func (s *Session) settle(p *Pending, cumulative bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, p.MessageID)
	if !cumulative || p.seq == 0 {
		return
	}
	// RabbitMQ's cumulative ACK covers every earlier message of the
	// connection, not only of the subscription (the conformance suite
	// shows it): forget those too, or acking one later would be refused.
	wholeConnection := strings.HasPrefix(s.Conn().Server(), "RabbitMQ")
	for id, q := range s.pending {
		if q.seq < p.seq && (wholeConnection || q.Subscription == p.Subscription) {
			delete(s.pending, id)
		}
	}
}

func (s *Session) ackMode(subID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subByID(subID); sub != nil {
		return sub.Ack
	}
	return ""
}

// subByID finds a subscription by id; s.mu is held.
func (s *Session) subByID(id string) *Subscription {
	for _, x := range s.subs {
		if x.ID == id {
			return x
		}
	}
	return nil
}

// AckFrame builds the ACK or NACK for p in the negotiated version: 1.2 uses
// id (the MESSAGE's ack header), 1.1 message-id and subscription, 1.0
// message-id alone.
func AckFrame(version, command string, p *Pending) *frame.Frame {
	switch version {
	case "1.2":
		id := p.AckID
		if id == "" {
			id = p.MessageID
		}
		return frame.New(command, frame.Id, id)
	case "1.1":
		return frame.New(command, frame.MessageId, p.MessageID, frame.Subscription, p.Subscription)
	default:
		return frame.New(command, frame.MessageId, p.MessageID)
	}
}

// Ack acknowledges a message. With wait, it waits for the broker's receipt,
// so a rejected ack is reported here rather than later as a lost connection.
// ctx ending does not stop it (see settling): a message handled is acked
// even when the run was stopped since.
func (s *Session) Ack(ctx context.Context, id, subID string, wait bool) error {
	return s.ackOrNack(ctx, frame.ACK, id, subID, wait)
}

// Nack rejects a message (STOMP 1.1 and later), ctx ending or not (see
// settling).
func (s *Session) Nack(ctx context.Context, id, subID string, wait bool) error {
	if s.Version() == "1.0" {
		return exitcode.Usagef("nack needs STOMP 1.1 or later: this connection uses 1.0 (connect with -S 1.1 or -S 1.2)")
	}
	return s.ackOrNack(ctx, frame.NACK, id, subID, wait)
}

// settling is the context of what must still go out after ctx ended
// (Ctrl-C, SIGTERM, a shell command's Ctrl-C): the ACK of a message its
// sink took, the NACK that gives one back. Stopped, a run would otherwise
// drop them (conn.Send fails with "context canceled"), and the message
// shown, passed on or answered comes again: listen, shovel, reply and purge
// all settle what they handled this way. It has no deadline of its own: an
// ack waits only while the connection's queue is full, which a broker
// paused for a while may cause and which must not fail the run; a dead
// connection (heart-beats) or a second signal ends that wait. With a
// receipt, the receipt timeout bounds it (request).
func settling(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func (s *Session) ackOrNack(ctx context.Context, command, id, subID string, wait bool) error {
	if id == "all" {
		return s.settleAll(ctx, command, wait) // each one settling
	}
	ctx = settling(ctx)
	p, err := s.resolve(id, subID)
	if err != nil {
		return err
	}
	if p.gen != s.generation() {
		// It came on a connection that is gone: the broker will deliver it
		// again, and its id means nothing to the new connection.
		return ErrStaleAck
	}
	f := AckFrame(s.Version(), command, p)
	if tx := s.Transaction(); tx != "" {
		f.Header.Set(frame.Transaction, tx)
	}
	conn := s.Conn()
	if wait {
		err = s.request(ctx, f)
	} else {
		err = conn.Send(ctx, f)
	}
	if err == nil {
		s.settle(p, command == frame.ACK && s.ackMode(p.Subscription) == AckClient)
	}
	var be *client.BrokerError
	if err != nil && conn.Err() != nil && !errors.As(err, &be) {
		// The connection died under the ack (a broker's ERROR about the
		// ack itself is still reported): the message was not acked and
		// the broker delivers it again, as for an ack that came too late.
		return ErrStaleAck
	}
	return err
}

// settleAll acks or nacks every message awaiting it, oldest first (in
// client mode the newest of each subscription covers the others).
func (s *Session) settleAll(ctx context.Context, command string, wait bool) error {
	s.mu.Lock()
	ps := make([]*Pending, 0, len(s.pending))
	for _, p := range s.pending {
		ps = append(ps, p)
	}
	s.mu.Unlock()
	if len(ps) == 0 {
		return exitcode.Usagef("no message is awaiting ack")
	}
	slices.SortFunc(ps, func(a, b *Pending) int { return cmp.Compare(a.seq, b.seq) })
	for _, p := range ps {
		if err := ctx.Err(); err != nil {
			return err // Ctrl-C in the shell: those settled stay settled
		}
		if err := s.ackOrNack(ctx, command, p.MessageID, p.Subscription, wait); err != nil {
			if errors.Is(err, ErrStaleAck) {
				continue
			}
			return err
		}
	}
	return nil
}

// Transaction is the open transaction's id, or "".
func (s *Session) Transaction() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx
}

// Begin opens a transaction; there is one at a time, as in stomp.py.
func (s *Session) Begin(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.tx != "" {
		tx := s.tx
		s.mu.Unlock()
		return "", exitcode.Usagef("Currently in a transaction (%s)", tx)
	}
	tx := newUUID()
	s.mu.Unlock()
	if err := s.request(ctx, frame.New(frame.BEGIN, frame.Transaction, tx)); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.tx = tx
	s.mu.Unlock()
	return tx, nil
}

// End commits (commit true) or aborts the open transaction. The transaction
// is closed locally whatever the broker says: a failed COMMIT leaves
// nothing to retry on the broker's side.
func (s *Session) End(ctx context.Context, commit bool) (string, error) {
	s.mu.Lock()
	tx := s.tx
	s.tx = ""
	s.mu.Unlock()
	if tx == "" {
		return "", exitcode.Usagef("Not currently in a transaction")
	}
	cmd := frame.ABORT
	if commit {
		cmd = frame.COMMIT
	}
	return tx, s.request(ctx, frame.New(cmd, frame.Transaction, tx))
}

// Close waits for the broker to confirm every message sent (Flush), then
// unsubscribes from everything and disconnects, waiting up to the receipt
// timeout for the broker to confirm that too. An *UnconfirmedError wins
// over any error of the disconnect: it is what the user must know.
func (s *Session) Close(ctx context.Context) error {
	ferr := s.Flush(ctx)                        // before closing: a reconnect may still confirm them
	s.closeOnce.Do(func() { close(s.closing) }) // no reconnect from now on
	conn := s.Conn()
	if conn.Err() == nil {
		for _, sub := range s.Subscriptions() {
			f := frame.New(frame.UNSUBSCRIBE, frame.Id, sub.ID, frame.Destination, sub.Destination)
			if err := conn.Send(ctx, f); err != nil {
				break
			}
		}
	}
	dctx, cancel := context.WithTimeout(ctx, s.receiptTimeout)
	defer cancel()
	err := conn.Disconnect(dctx)
	var te *client.TimeoutError
	if errors.As(err, &te) {
		err = fmt.Errorf("%w after %v (raise --receipt-timeout if the broker is slow)", err, s.receiptTimeout)
	}
	if ferr != nil {
		return ferr
	}
	if s.endedByCrossedUnsubscribe(err) {
		return nil
	}
	return err
}

// Closing reports whether Close has begun.
func (s *Session) Closing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// crossedUnsubscribe reports RabbitMQ's ERROR for a message that crossed
// an UNSUBSCRIBE of ours (Unsubscribe, or Close's): its STOMP plugin
// answers a delivery to a consumer it has just cancelled with "Subscription
// not found" ("There is no current subscription with tag ...";
// rabbitmq-server#7531; seen with 3.10 when a nacked message was requeued
// and redelivered as a listener stopped; purge and the shell's unsubscribe
// meet it when a message is on its way), and the connection ends with it.
// It comes only after the broker processed the UNSUBSCRIBE, so it had every
// frame we sent before; the message in flight was not acked and stays
// queued. Before any UNSUBSCRIBE on the connection,
// or with another text (RabbitMQ says "Subscription not found" of an ACK
// for a subscription it does not have, too), it is a real error.
func (s *Session) crossedUnsubscribe(f *frame.Frame) bool {
	// Every incoming frame is asked: the cheap test first.
	return f.Command == frame.ERROR && strings.HasPrefix(f.Header.Get(frame.Message), "Subscription not found") &&
		strings.Contains(string(f.Body), "no current subscription with tag") && s.unsubscribedHere()
}

// unsubscribedHere says whether an UNSUBSCRIBE of ours went out on the
// current connection: Unsubscribe sent one, or Close has begun.
func (s *Session) unsubscribedHere() bool {
	if s.Closing() {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unsubscribedOn == s.Conn()
}

// endedByCrossedUnsubscribe reports whether the connection ended with such
// an ERROR (see crossedUnsubscribe).
func (s *Session) endedByCrossedUnsubscribe(err error) bool {
	var be *client.BrokerError
	return errors.As(err, &be) && s.crossedUnsubscribe(be.Frame)
}

// newUUID makes a random (version 4) UUID, the transaction id format
// stomp.py users see.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
