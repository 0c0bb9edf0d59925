package doctor

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

// isActiveMQ: the dead-letter queue's name is ActiveMQ's.
func (d *Doctor) isActiveMQ() bool { return strings.HasPrefix(d.server, "ActiveMQ") }

// heartBeats reports what the broker answered to our heart-beat offer.
func heartBeats(c *client.Conn, offer time.Duration) Result {
	r := Result{ID: "heart-beats", Feature: "heart-beats"}
	off := strconv.FormatInt(offer.Milliseconds(), 10)
	if c.Version() == "1.0" {
		r.Result = "n/a"
		r.Detail = "heart-beats need STOMP 1.1 (connected with 1.0: nothing offered)"
		return r
	}
	v, ok := c.Connected().Header.Contains(frame.HeartBeat)
	if !ok {
		r.Result = "none"
		r.Detail = "offered " + off + "," + off + ": CONNECTED has no heart-beat header (STOMP " + c.Version() + ")"
		return r
	}
	r.Result = v
	sx, sy, err := frame.ParseHeartBeat(v)
	if err != nil {
		r.Detail = "offered " + off + "," + off + ": not a valid heart-beat header"
		return r
	}
	var parts []string
	if sx > 0 {
		parts = append(parts, "broker sends every "+max(sx, offer).String())
	} else {
		parts = append(parts, "broker sends none")
	}
	if sy > 0 {
		parts = append(parts, "wants ours every "+max(sy, offer).String())
	} else {
		parts = append(parts, "wants none from us")
	}
	r.Detail = "offered " + off + "," + off + ": " + strings.Join(parts, ", ")
	return r
}

// versions connects once per version, offering only that one.
func (d *Doctor) versions(ctx context.Context) Result {
	var ok, refused []string
	for _, v := range []string{"1.0", "1.1", "1.2"} {
		p, err := d.dial(ctx, func(o *client.Options) {
			o.Versions = []string{v}
			o.HeartBeatSend, o.HeartBeatRecv = 0, 0
		})
		if err != nil {
			refused = append(refused, v+" ("+brief(err)+")")
			continue
		}
		got := p.c.Version()
		p.close()
		if got != v {
			refused = append(refused, v+" (answered "+got+")")
			continue
		}
		ok = append(ok, v)
	}
	r := Result{Result: strings.Join(ok, ", ")}
	if len(ok) == 0 {
		r.Result = "none"
	}
	if len(refused) > 0 {
		r.Detail = "refused: " + strings.Join(refused, "; ")
	} else {
		r.Detail = "each offered alone (1.0 without accept-version)"
	}
	return r
}

// receipts: SEND and SUBSCRIBE with a receipt header get a RECEIPT.
func (d *Doctor) receipts(ctx context.Context, p *pconn, q string) Result {
	start := time.Now()
	if err := p.send(ctx, q, "receipt probe"); err != nil {
		return Result{Result: "no", Detail: "SEND with receipt: " + brief(err)}
	}
	took := time.Since(start)
	if err := p.subscribe(ctx, q, "1", "auto"); err != nil {
		return Result{Result: "partly", Detail: "SEND got its RECEIPT; SUBSCRIBE did not: " + brief(err)}
	}
	// Drain the probe message.
	if m, err := p.next(ctx, d.cfg.ReceiptTimeout); err != nil || m == nil {
		return Result{Result: "yes", Detail: "RECEIPT for SEND in " + ms(took) + " and for SUBSCRIBE; but the message sent did not arrive"}
	}
	return Result{Result: "yes", Detail: "RECEIPT for SEND in " + ms(took) + ", and for SUBSCRIBE"}
}

// dialProbe connects for a probe; a non-nil Result is the verdict when it
// cannot (unknown: the probe learnt nothing about the broker).
func (d *Doctor) dialProbe(ctx context.Context) (*pconn, *Result) {
	p, err := d.dial(ctx, nil)
	if err != nil {
		return nil, &Result{Result: "unknown", Detail: brief(err)}
	}
	return p, nil
}

// onQueue makes a probe that runs on its own connection (dial's) and a
// fresh queue named for it.
func onQueue(name string, dial func(*Doctor, context.Context) (*pconn, *Result), run func(d *Doctor, ctx context.Context, p *pconn, q string) Result) func(*Doctor, context.Context) Result {
	return func(d *Doctor, ctx context.Context) Result {
		p, verdict := dial(d, ctx)
		if verdict != nil {
			return *verdict
		}
		defer p.close()
		return run(d, ctx, p, "/queue/"+unique(name))
	}
}

// dialNack connects for a probe that NACKs; a non-nil Result is the
// verdict when it cannot.
func (d *Doctor) dialNack(ctx context.Context) (*pconn, *Result) {
	p, verdict := d.dialProbe(ctx)
	if verdict != nil {
		return nil, verdict
	}
	if p.c.Version() == "1.0" {
		p.close()
		return nil, &Result{Result: "n/a", Detail: "NACK needs STOMP 1.1 (connected with 1.0)"}
	}
	return p, nil
}

// nack NACKs one message in client-individual mode and watches where it
// goes: back to us (requeue), to ActiveMQ.DLQ, or nowhere we can see.
func (d *Doctor) nack(ctx context.Context, p *pconn, q string) Result {
	tag := unique("nack")
	// persistent:true, so that ActiveMQ keeps it (in its DLQ) rather than discarding it.
	if err := p.send(ctx, q, "nack probe", "persistent", "true", "doctorid", tag); err != nil {
		return Result{Result: "unknown", Detail: "SEND: " + brief(err)}
	}
	if err := p.subscribe(ctx, q, "1", "client-individual"); err != nil {
		return Result{Result: "unknown", Detail: "SUBSCRIBE client-individual: " + brief(err)}
	}
	m, err := p.next(ctx, d.cfg.ReceiptTimeout)
	if err != nil || m == nil {
		return Result{Result: "unknown", Detail: "the probe message never arrived " + brief(err)}
	}
	if err := p.ack(ctx, frame.NACK, m); err != nil {
		return Result{Result: "refused", Detail: "NACK: " + brief(err)}
	}
	start := time.Now()
	again, err := p.next(ctx, d.cfg.NackWait)
	if err != nil {
		return Result{Result: "unknown", Detail: "after NACK: " + brief(err)}
	}
	if again != nil {
		detail := "NACKed message redelivered at once"
		if took := time.Since(start); took >= time.Millisecond {
			detail = "NACKed message redelivered after " + ms(took)
		}
		if again.Header.Get("redelivered") == "true" {
			detail += " (redelivered:true)"
		}
		if err := p.ack(ctx, frame.ACK, again); err != nil {
			detail += "; ACK of the redelivery failed: " + brief(err)
		}
		return Result{Result: "requeue", Detail: detail}
	}
	none := Result{Result: "not redelivered (dead-letter or drop)",
		Detail: "not back within " + d.cfg.NackWait.String()}
	if !d.isActiveMQ() {
		return none
	}
	// Look for it in ActiveMQ's dead-letter queue, by a selector on its id,
	// and consume it from there.
	const dlq = "/queue/ActiveMQ.DLQ"
	if err := p.subscribe(ctx, dlq, "dlq", "client-individual", "selector", "doctorid = '"+tag+"'"); err != nil {
		none.Detail += "; cannot look in ActiveMQ.DLQ: " + brief(err)
		return none
	}
	dead, err := p.next(ctx, d.cfg.NackWait)
	if err != nil || dead == nil {
		none.Detail += "; not found in ActiveMQ.DLQ " + brief(err)
		return none
	}
	detail := "moved to ActiveMQ.DLQ (found there by its id, and removed)"
	if err := p.ack(ctx, frame.ACK, dead); err != nil {
		detail = "moved to ActiveMQ.DLQ, but removing it failed: " + brief(err)
	}
	return Result{Result: "dead-letter", Detail: detail}
}

// txAck ACKs a message inside a transaction, aborts it, and checks that the
// message comes back to the next consumer.
func (d *Doctor) txAck(ctx context.Context) Result {
	p, verdict := d.dialProbe(ctx)
	if verdict != nil {
		return *verdict
	}
	q := "/queue/" + unique("txack")
	step := func(what string, err error) Result {
		p.close()
		return Result{Result: "unknown", Detail: what + ": " + brief(err)}
	}
	if err := p.send(ctx, q, "tx ack probe"); err != nil {
		return step("SEND", err)
	}
	mode := "client-individual"
	if p.c.Version() == "1.0" {
		mode = "client"
	}
	if err := p.subscribe(ctx, q, "1", mode); err != nil {
		return step("SUBSCRIBE", err)
	}
	m, err := p.next(ctx, d.cfg.ReceiptTimeout)
	if err != nil || m == nil {
		return step("the probe message never arrived", err)
	}
	tx := unique("tx")
	if err := p.request(ctx, frame.New(frame.BEGIN, frame.Transaction, tx)); err != nil {
		p.close()
		return Result{Result: "no transactions", Detail: "BEGIN: " + brief(err)}
	}
	if err := p.ack(ctx, frame.ACK, m, frame.Transaction, tx); err != nil {
		p.close()
		return Result{Result: "refused", Detail: "ACK in a transaction: " + brief(err)}
	}
	if err := p.request(ctx, frame.New(frame.ABORT, frame.Transaction, tx)); err != nil {
		return step("ABORT", err)
	}
	p.close()

	// A new consumer gets it again if the ABORT undid the ACK.
	p, err = d.dial(ctx, nil)
	if err != nil {
		return Result{Result: "unknown", Detail: "second connection: " + brief(err)}
	}
	defer p.close()
	if err := p.subscribe(ctx, q, "1", "auto"); err != nil {
		return Result{Result: "unknown", Detail: "SUBSCRIBE again: " + brief(err)}
	}
	again, err := p.next(ctx, d.cfg.Quiet)
	if err != nil {
		return Result{Result: "unknown", Detail: "after ABORT: " + brief(err)}
	}
	if again == nil {
		return Result{Result: "acked anyway", Detail: "ACK in a transaction, ABORT: the message did not come back"}
	}
	return Result{Result: "redelivered", Detail: "ACK in a transaction, ABORT: the message came back to the next consumer"}
}

// browse subscribes with browser:true and checks for the browser:end marker
// and that the message is still there afterwards.
func (d *Doctor) browse(ctx context.Context, p *pconn, q string) Result {
	if err := p.send(ctx, q, "browse probe"); err != nil {
		return Result{Result: "unknown", Detail: "SEND: " + brief(err)}
	}
	if err := p.subscribe(ctx, q, "browse", "auto", "browser", "true"); err != nil {
		return Result{Result: "no", Detail: "SUBSCRIBE browser:true: " + brief(err)}
	}
	seen, ended := 0, false
	for !ended {
		m, err := p.next(ctx, d.cfg.Quiet)
		if err != nil {
			return Result{Result: "unknown", Detail: "while browsing: " + brief(err)}
		}
		if m == nil {
			break
		}
		if m.Header.Get("browser") == "end" {
			ended = true
		} else {
			seen++
		}
	}
	if err := p.unsubscribe(ctx, q, "browse"); err != nil {
		return Result{Result: "unknown", Detail: "UNSUBSCRIBE: " + brief(err)}
	}
	if err := p.subscribe(ctx, q, "drain", "auto"); err != nil {
		return Result{Result: "unknown", Detail: "SUBSCRIBE to drain: " + brief(err)}
	}
	left, err := p.next(ctx, d.cfg.Quiet)
	if err != nil {
		return Result{Result: "unknown", Detail: "draining: " + brief(err)}
	}
	switch {
	case left != nil && ended && seen == 1:
		return Result{Result: "yes", Detail: "browser:true shows the message without consuming it; the browse ends with a browser:end frame"}
	case left == nil:
		return Result{Result: "no (would consume)", Detail: fmt.Sprintf("browser:true is ignored: the subscription consumed the message (%d shown, no browser:end)", seen)}
	default:
		return Result{Result: "partly", Detail: fmt.Sprintf("browser:true left the message in place; %d shown, browser:end %v", seen, ended)}
	}
}

// selectors sends two messages and subscribes with a selector that
// matches one.
func (d *Doctor) selectors(ctx context.Context, p *pconn, q string) Result {
	for _, v := range []string{"skip", "pick"} {
		if err := p.send(ctx, q, v, "doctorsel", v); err != nil {
			return Result{Result: "unknown", Detail: "SEND: " + brief(err)}
		}
	}
	if err := p.subscribe(ctx, q, "sel", "auto", "selector", "doctorsel = 'pick'"); err != nil {
		return Result{Result: "no", Detail: "SUBSCRIBE with a selector: " + brief(err)}
	}
	got, err := p.collect(ctx, d.cfg.Quiet, 2)
	if err != nil {
		return Result{Result: "unknown", Detail: "receiving: " + brief(err)}
	}
	var bodies []string
	for _, m := range got {
		bodies = append(bodies, string(m.Body))
	}
	// Drain what the selector left.
	if left := 2 - len(got); left > 0 {
		if err := p.unsubscribe(ctx, q, "sel"); err == nil && p.subscribe(ctx, q, "drain", "auto") == nil {
			_, _ = p.collect(ctx, d.cfg.Quiet, left)
		}
	}
	switch strings.Join(bodies, ",") {
	case "pick":
		return Result{Result: "yes", Detail: "selector \"doctorsel = 'pick'\" delivered only the matching message"}
	case "skip,pick", "pick,skip":
		return Result{Result: "no (ignored)", Detail: "the selector header is ignored: both messages were delivered"}
	default:
		return Result{Result: "unclear", Detail: fmt.Sprintf("delivered %q for a selector matching one of two", bodies)}
	}
}

// tempQueue does a request/reply round trip on one connection through a
// /temp-queue/ reply-to, first without subscribing to it, then with.
func (d *Doctor) tempQueue(ctx context.Context, p *pconn, q string) Result {
	temp := "/temp-queue/" + unique("reply")
	if err := p.subscribe(ctx, q, "requests", "auto"); err != nil {
		return Result{Result: "unknown", Detail: "SUBSCRIBE: " + brief(err)}
	}
	if err := p.send(ctx, q, "request", "reply-to", temp); err != nil {
		return Result{Result: "no", Detail: "SEND with reply-to " + temp + ": " + brief(err)}
	}
	req, err := p.next(ctx, d.cfg.ReceiptTimeout)
	if err != nil || req == nil {
		return Result{Result: "unknown", Detail: "the request never arrived " + brief(err)}
	}
	replyTo := req.Header.Get("reply-to")
	if replyTo == "" {
		return Result{Result: "no", Detail: "the request arrived without its reply-to"}
	}
	rewritten := "reply-to kept as sent"
	if replyTo != temp {
		rewritten = "reply-to rewritten to " + replyTo
	}
	if err := p.send(ctx, replyTo, "reply"); err != nil {
		return Result{Result: "no", Detail: rewritten + "; SEND of the reply: " + brief(err)}
	}
	reply, err := p.next(ctx, d.cfg.Quiet)
	if err != nil {
		return Result{Result: "no", Detail: rewritten + "; waiting for the reply: " + brief(err)}
	}
	if reply != nil {
		return Result{Result: "yes, without SUBSCRIBE", Detail: rewritten + "; the reply arrived without a SUBSCRIBE"}
	}
	if err := p.subscribe(ctx, temp, "replies", "auto"); err != nil {
		return Result{Result: "no", Detail: rewritten + "; no reply, and SUBSCRIBE to " + temp + ": " + brief(err)}
	}
	reply, err = p.next(ctx, d.cfg.ReceiptTimeout)
	if err != nil || reply == nil {
		return Result{Result: "no", Detail: rewritten + "; no reply, even after subscribing " + brief(err)}
	}
	return Result{Result: "yes, needs SUBSCRIBE", Detail: rewritten + "; the reply arrived only after a SUBSCRIBE to " + temp}
}

// prefixProbe checks a destination prefix on its own connections (an
// ERROR ends a connection): two SUBSCRIBEs, a SEND, and how many of them
// get the message (one: queue semantics; both: topic). viaPrefix, when
// set, names a prefix that creates what this one only addresses
// (RabbitMQ's /amq/queue/ wants an existing queue, which /queue/ declares).
func prefixProbe(prefix, viaPrefix string) func(*Doctor, context.Context) Result {
	return func(d *Doctor, ctx context.Context) Result {
		name := unique("prefix")
		if prefix == "/exchange/amq.topic/" {
			name = strings.ReplaceAll(name, "-", ".") // a routing key
		}
		dest := prefix + name
		got, subErr, err := d.roundTrip(ctx, dest, dest)
		switch {
		case got > 0:
			return Result{Result: "yes, " + semantics(got), Detail: delivered(got) + " (" + dest + ")"}
		case err != nil:
			return Result{Result: "no", Detail: brief(err)}
		case subErr == nil:
			return Result{Result: "send only", Detail: "SUBSCRIBE and SEND accepted, but the message did not come back"}
		}
		if viaPrefix != "" {
			if got, _, err := d.roundTrip(ctx, viaPrefix+name, dest); got > 0 && err == nil {
				return Result{Result: "yes (existing queues), " + semantics(got),
					Detail: "SUBSCRIBE to a missing one refused (" + brief(subErr) + "); works once " + viaPrefix + name + " exists"}
			}
		}
		// SUBSCRIBE refused: is SEND accepted?
		p, verdict := d.dialProbe(ctx)
		if verdict != nil {
			return *verdict
		}
		defer p.close()
		if err := p.send(ctx, dest, "prefix probe"); err != nil {
			return Result{Result: "no", Detail: brief(err)}
		}
		return Result{Result: "send only", Detail: "SEND accepted, SUBSCRIBE refused: " + brief(subErr)}
	}
}

func semantics(got int) string {
	if got >= 2 {
		return "topic"
	}
	return "queue"
}

func delivered(got int) string {
	if got >= 2 {
		return "each of two subscriptions got the message"
	}
	return "one of two subscriptions got the message"
}

// roundTrip subscribes twice to subDest, sends one message to sendDest and
// counts the deliveries. subErr is a refused SUBSCRIBE; err any other
// failure.
func (d *Doctor) roundTrip(ctx context.Context, subDest, sendDest string) (got int, subErr, err error) {
	p, err := d.dial(ctx, nil)
	if err != nil {
		return 0, nil, err
	}
	defer p.close()
	for _, id := range []string{"1", "2"} {
		if err := p.subscribe(ctx, subDest, id, "auto"); err != nil {
			return 0, err, nil
		}
	}
	if err := p.send(ctx, sendDest, "prefix probe"); err != nil {
		return 0, nil, fmt.Errorf("SEND: %w", err)
	}
	ms, err := p.collect(ctx, d.cfg.Quiet, 2)
	return len(ms), nil, err
}

// hostRule connects with host:/, host:<the broker's host name>, no host
// header, and the user's --vhost, and says which are accepted.
func (d *Doctor) hostRule(ctx context.Context) Result {
	type try struct{ label, vhost string }
	name := d.cfg.Host
	if name == "" {
		name = "localhost"
	}
	tries := []try{{"/", "/"}, {name, name}, {"none", ""}}
	if v := d.cfg.Options.Vhost; v != "" && v != "/" && v != name {
		tries = append(tries, try{v, v})
	}
	ok := make([]bool, len(tries))
	errs := make([]error, len(tries))
	var wg sync.WaitGroup
	for i, t := range tries {
		wg.Go(func() {
			p, err := d.dial(ctx, func(o *client.Options) { o.Vhost = t.vhost })
			if err != nil {
				errs[i] = err
				return
			}
			ok[i] = true
			p.close()
		})
	}
	wg.Wait()
	var yes, no []string
	for i, t := range tries {
		label := "no host header"
		if t.vhost != "" {
			label = "host:" + t.vhost
		}
		if ok[i] {
			yes = append(yes, label)
		} else {
			no = append(no, label+" ("+brief(errs[i])+")")
		}
	}
	r := Result{}
	switch {
	case len(no) == 0:
		r.Result = "any"
		r.Detail = "accepted: " + strings.Join(yes, ", ")
	case len(yes) == 0:
		r.Result = "none accepted"
		r.Detail = "refused: " + strings.Join(no, "; ")
	default:
		var short []string
		for i, t := range tries {
			if ok[i] {
				short = append(short, t.label)
			}
		}
		r.Result = strings.Join(short, " or ")
		r.Detail = "refused: " + strings.Join(no, "; ")
	}
	return r
}

// maxFrame finds the largest SEND body the broker takes: doubling from
// 64 KiB, then a binary search between the last size accepted and the
// first refused, within the time budget. It sends to a topic nobody
// subscribes to, so the broker keeps none of the bodies.
func (d *Doctor) maxFrame(ctx context.Context) Result {
	deadline := time.Now().Add(d.cfg.FrameBudget)
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(d.cfg.ReceiptTimeout))
	defer cancel()
	dest := "/topic/" + unique("frame")
	body := make([]byte, d.cfg.MaxFrame)
	for i := range body {
		body[i] = 'x'
	}
	var p *pconn
	defer func() {
		if p != nil {
			p.close()
		}
	}()
	var lastErr error
	try := func(n int) (bool, error) {
		if p == nil {
			var err error
			if p, err = d.dial(ctx, nil); err != nil {
				return false, err
			}
		}
		f := frame.New(frame.SEND, frame.Destination, dest, frame.ContentLength, strconv.Itoa(n))
		f.Body = body[:n]
		rctx, cancel := context.WithDeadline(ctx, deadline.Add(time.Second))
		defer cancel()
		if _, err := p.c.Request(rctx, f); err != nil {
			lastErr = err
			p.c.Close()
			p = nil
			return false, nil
		}
		return true, nil
	}
	lo, hi := 0, 0 // largest accepted, smallest refused (0: none yet)
	for n := 64 << 10; ; n *= 2 {
		n = min(n, d.cfg.MaxFrame)
		ok, err := try(n)
		if err != nil {
			return Result{Result: "unknown", Detail: "connecting: " + brief(err)}
		}
		if !ok {
			hi = n
			break
		}
		lo = n
		if n == d.cfg.MaxFrame {
			return Result{Result: "at least " + size(lo), Detail: fmt.Sprintf("a %d-byte body was accepted, the largest this probe tries", lo)}
		}
		if time.Now().After(deadline) {
			return Result{Result: "at least " + size(lo), Detail: "stopped at the time limit"}
		}
	}
	refusal := brief(lastErr)
	for hi-lo > 1 && time.Now().Before(deadline) {
		mid := lo + (hi-lo)/2
		ok, err := try(mid)
		if err != nil {
			break
		}
		if ok {
			lo = mid
		} else {
			hi, refusal = mid, brief(lastErr)
		}
	}
	if lo == 0 {
		return Result{Result: "< 64 KiB", Detail: fmt.Sprintf("a %d-byte body was refused: %s", hi, refusal)}
	}
	r := Result{Result: size(lo), Detail: fmt.Sprintf("SEND body of %d bytes accepted, %d refused (%s)", lo, hi, refusal)}
	if hi-lo > 1 {
		r.Result = "at least " + size(lo)
		r.Detail += "; search stopped at the time limit"
	}
	return r
}

// size shows a byte count with its binary unit.
func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d bytes (%.2f MiB)", n, float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d bytes (%.1f KiB)", n, float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// poisonTries is how many times redeliveryLimit NACKs one message before
// it calls the broker's redelivery unlimited.
const poisonTries = 12

// redeliveryLimit NACKs one message again and again and reports how many
// deliveries the broker allows before it gives up on it (a poison
// message): the embedded broker moves it to /queue/DLQ.<name> after
// --max-redeliveries, ActiveMQ dead-letters at the first NACK (see the
// NACK probe), RabbitMQ's classic queues redeliver forever.
func (d *Doctor) redeliveryLimit(ctx context.Context, p *pconn, q string) Result {
	embedded := strings.HasPrefix(d.server, broker.ServerName)
	dlq := broker.DeadLetterQueue(q)
	if embedded {
		// Watch the dead-letter queue too, so the verdict takes no waiting.
		if err := p.subscribe(ctx, dlq, "dlq", "client-individual"); err != nil {
			return Result{Result: "unknown", Detail: "SUBSCRIBE " + dlq + ": " + brief(err)}
		}
	}
	if err := p.send(ctx, q, "poison probe"); err != nil {
		return Result{Result: "unknown", Detail: "SEND: " + brief(err)}
	}
	if err := p.subscribe(ctx, q, "1", "client-individual"); err != nil {
		return Result{Result: "unknown", Detail: "SUBSCRIBE client-individual: " + brief(err)}
	}
	for deliveries := 0; ; {
		m, err := p.next(ctx, d.cfg.NackWait)
		switch {
		case err != nil:
			return Result{Result: "unknown", Detail: "after " + strconv.Itoa(deliveries) + " NACK(s): " + brief(err)}
		case m == nil && deliveries == 0:
			return Result{Result: "unknown", Detail: "the probe message never arrived"}
		case m == nil:
			res := Result{Result: "dead-letter after " + plural(deliveries, "delivery", "deliveries"),
				Detail: "not redelivered after NACK " + strconv.Itoa(deliveries)}
			if d.isActiveMQ() {
				res.Detail = "a NACKed message is not redelivered (see NACK)"
			}
			return res
		case m.Header.Get(frame.Subscription) == "dlq":
			res := Result{Result: "dead-letter after " + plural(deliveries, "delivery", "deliveries"),
				Detail: "moved to " + dlq + " with original-destination " + m.Header.Get("original-destination") +
					" and dead-letter-reason " + strconv.Quote(m.Header.Get("dead-letter-reason"))}
			if err := p.ack(ctx, frame.ACK, m); err != nil {
				res.Detail += "; removing it failed: " + brief(err)
			}
			return res
		}
		deliveries++
		if deliveries == poisonTries {
			res := Result{Result: "no limit seen", Detail: "redelivered after each of " + strconv.Itoa(poisonTries-1) + " NACKs"}
			if err := p.ack(ctx, frame.ACK, m); err != nil {
				res.Detail += "; ACK failed: " + brief(err)
			}
			return res
		}
		if err := p.ack(ctx, frame.NACK, m); err != nil {
			return Result{Result: "refused", Detail: "NACK: " + brief(err)}
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
