package broker

import (
	"github.com/go-stomp/stomp/v3/frame"
)

// maxTxBytes bounds what one connection may buffer in open transactions,
// so BEGIN followed by endless SENDs cannot exhaust memory.
const maxTxBytes = 64 << 20

// Transactions live only in the connection's reader goroutine: SEND, ACK
// and NACK frames carrying a transaction header are validated when they
// arrive (so errors are reported at once) and applied in order on COMMIT.
// ABORT, or a disconnect, discards them: an aborted ACK leaves its
// message unacked.

func (c *conn) txID(f *frame.Frame) (string, error) {
	id := f.Header.Get(frame.Transaction)
	if id == "" {
		return "", protoErr("missing transaction", "%s needs a transaction header", f.Command)
	}
	return id, nil
}

func (c *conn) onBegin(f *frame.Frame) error {
	id, err := c.txID(f)
	if err != nil {
		return err
	}
	if _, dup := c.txs[id]; dup {
		return protoErr("duplicate transaction", "transaction %q is already open", id)
	}
	c.txs[id] = []*frame.Frame{}
	return nil
}

func (c *conn) buffer(id string, f *frame.Frame) error {
	frames, ok := c.txs[id]
	if !ok {
		return protoErr("unknown transaction", "transaction %q was not begun (or is already finished)", id)
	}
	n := txSize(f)
	if c.txBytes+n > maxTxBytes {
		return protoErr("transaction too large", "open transactions may buffer at most %d bytes", maxTxBytes)
	}
	c.txBytes += n
	c.r.mu.Lock()
	c.r.hold(n)
	c.r.mu.Unlock()
	c.txs[id] = append(frames, f)
	return nil
}

func (c *conn) take(f *frame.Frame) ([]*frame.Frame, error) {
	id, err := c.txID(f)
	if err != nil {
		return nil, err
	}
	frames, ok := c.txs[id]
	if !ok {
		return nil, protoErr("unknown transaction", "transaction %q was not begun (or is already finished)", id)
	}
	delete(c.txs, id)
	n := 0
	for _, bf := range frames {
		n += txSize(bf)
	}
	c.dropTxBytes(n)
	return frames, nil
}

// txSize is what a buffered frame counts against the limits.
func txSize(f *frame.Frame) int { return len(f.Body) + 64*f.Header.Len() }

// dropTxBytes stops counting n bytes of buffered transactions.
func (c *conn) dropTxBytes(n int) {
	c.txBytes -= n
	c.r.mu.Lock()
	c.r.release(n)
	c.r.mu.Unlock()
}

func (c *conn) onCommit(f *frame.Frame) error {
	frames, err := c.take(f)
	if err != nil {
		return err
	}
	for _, bf := range frames {
		switch bf.Command {
		case frame.SEND:
			c.r.publish(c, bf)
		case frame.ACK, frame.NACK:
			// Validated on arrival; an ACK made moot meanwhile (e.g. by a
			// cumulative ACK) is ignored.
			if err := c.r.ack(c, bf, bf.Command == frame.NACK); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *conn) onAbort(f *frame.Frame) error {
	_, err := c.take(f)
	return err
}
