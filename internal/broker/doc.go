// Package broker is a small embedded STOMP broker used by `stomp serve`,
// `stomp --embedded` (try the CLI with no broker installed) and by the
// project's tests (so `go test ./...` needs no external broker).
//
// It is a development and test broker, not a production one: messages live
// in memory only (nothing is persisted; Config.MaxHeldBytes bounds them),
// there is a single optional login, no virtual hosts (the host header is
// ignored) and no clustering.
//
// # Listeners
//
// Config.Listen names them: HOST:PORT or tcp:// (TCP), ssl:// (TLS with
// Config.TLS), ws://HOST:PORT/PATH and wss:// (STOMP over WebSocket: the
// v10.stomp, v11.stomp and v12.stomp subprotocols, one frame per message,
// as RabbitMQ web-stomp). Without a login only loopback addresses may be
// used (CheckListen), and a WebSocket is accepted only from a page on
// loopback.
//
// # Protocol
//
// STOMP 1.0, 1.1 and 1.2, opened with CONNECT or STOMP. No accept-version
// header means 1.0; otherwise the highest common version is used, and with
// none in common the broker answers ERROR with a version header listing the
// versions it supports. Heart-beats (1.1+) are negotiated per the spec
// against Config.HeartBeat; a client silent for twice its negotiated
// interval is sent an ERROR and disconnected. Every frame may ask for a
// receipt; the RECEIPT follows the frame's effects and precedes the
// MESSAGEs they cause, as on RabbitMQ and ActiveMQ. Every protocol error gets an ERROR frame (message header, a
// receipt-id when the frame had a receipt, an explanation in the body)
// and the connection is then closed; other connections are unaffected.
//
// Headers are escaped per version: 1.0 not at all (CR and LF, which 1.0
// cannot carry, are sent as spaces), 1.1 with \\ \n \c, 1.2 also \r, and
// CONNECT/CONNECTED never. Decoding is liberal: \r is accepted in 1.1 and
// an undefined escape is kept literally.
//
// # Destinations
//
//   - /topic/NAME: fan-out to the subscribers present when a message is
//     sent; nothing is kept for later subscribers.
//   - /temp-queue/NAME: a private queue of the connection that names it, as
//     on RabbitMQ. A SEND with reply-to:/temp-queue/NAME has its reply-to
//     rewritten to /reply-queue/<session>-NAME, and messages sent there are
//     delivered to the original connection without it subscribing, with
//     subscription:/temp-queue/NAME, destination set to the reply queue and
//     auto ack. The client may instead SUBSCRIBE to /temp-queue/NAME itself
//     (then that subscription, with its own id and ack mode, receives the
//     replies). The queue dies with its connection; a reply sent after that
//     is dropped (and logged), not an error for the replier.
//   - Anything else, /queue/NAME or not, is a queue: messages wait until a
//     consumer takes them; consumers compete, round robin.
//
// SEND headers are copied to MESSAGE, except transaction, receipt and the
// headers the broker sets itself (destination, message-id, subscription,
// ack, content-length, redelivered); for a repeated header only the first
// occurrence is kept. MESSAGE always carries content-length.
//
// # Acknowledgement
//
// Ack modes auto, client (cumulative: ACK or NACK of a message covers every
// earlier unacked message of the subscription) and client-individual. The
// message-id is unique per delivery and the 1.2 ack header equals it, so an
// ACK/NACK may name the message by id (1.2) or message-id (1.0, 1.1) in any
// version. An ACK naming a message that this connection received but that
// is no longer pending (auto ack, already acked) is ignored; an id never
// issued to the connection is an error. NACK, UNSUBSCRIBE and disconnect
// redeliver unacked messages with redelivered:true: for queues at the front
// of the queue in their original order, for topics to the same subscriber
// if it is still subscribed (else they are dropped). NACK with
// requeue:false (a RabbitMQ extension) discards instead. There is no
// prefetch limit: subscriptions with unacked messages keep receiving.
//
// A NACK, or a connection closing with the message unacked, is a failed
// delivery; after Config.MaxRedeliveries of them (default 6) the message
// moves to /queue/DLQ.<name> with original-destination and
// dead-letter-reason headers (see deadletter.go).
//
// Transactions buffer SEND, ACK and NACK until COMMIT (an ACK's id is
// checked when it arrives); ABORT, or disconnecting, discards them, so an
// aborted ACK leaves its message unacked. At most 64 MiB may be buffered
// in one connection's open transactions.
//
// # Bounded memory and slow clients
//
// A connection must send its CONNECT within Config.ConnectTimeout of being
// accepted; before it, frames are capped at 8 KiB. At most
// Config.MaxConnections connections are open at once (more get an ERROR).
// Temporary accept errors (out of descriptors) back off and retry. At
// Config.MaxHeldBytes of messages in memory, publishers wait.
//
// Each frame is limited to Config.MaxFrameSize bytes (headers and body,
// checked while reading, and against content-length before allocating) and
// Config.MaxHeaders header lines. Each connection has an outgoing buffer of
// Config.OutBufferBytes (plus the batch its writer is currently sending).
// Delivery never blocks the broker: a queue message goes only to a consumer
// with room in its buffer (otherwise it stays queued until one has room),
// and a topic message for a subscriber whose buffer is full is dropped for
// that subscriber (counted, and logged at the 1st, 10th, 100th and every
// 1000th drop). A client that never reads therefore costs only its own
// buffers, and Close still closes it.
//
// Why not go-stomp's server package: it panics on client-mode ACK and on
// SEND without destination, ignores client-individual ACKs and NACKs,
// rejects 1.2 ACK with id, refuses STOMP 1.0 and sends no receipts for
// SUBSCRIBE. This package uses go-stomp's frame types, the bounded decoder
// of internal/stomp/wire (the client's too) and its own per-version
// encoder (see codec.go for why).
package broker
