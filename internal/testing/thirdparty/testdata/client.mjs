// @stomp/stompjs on node (npm) runs the suite's scenario and prints its transcript.
//
// Usage: node client.mjs URL LOGIN PASSCODE PREFIX   (LOGIN "" for none)
// URL is tcp://HOST:PORT (through @stomp/tcp-wrapper) or ws://HOST:PORT/PATH
// (through the ws package, offering the v12/v11/v10.stomp subprotocols).
// The scenario and the transcript's lines are described in clients_test.go.
// stompjs calls the callbacks in the order the frames arrive, so the
// transcript shows the wire order.
import { Client } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';
import WebSocket from 'ws';

const [url, login, passcode, prefix] = process.argv.slice(2);
const qa = `/queue/${prefix}-a`;
const qb = `/queue/${prefix}-b`;

function socket() {
  const u = new URL(url);
  if (u.protocol === 'tcp:') return new TCPWrapper(u.hostname, Number(u.port));
  return new WebSocket(url, ['v12.stomp', 'v11.stomp', 'v10.stomp']);
}

// events holds what arrived and not yet printed; wake resolves a waiting collect.
const events = [];
let wake = null;
function push(e) {
  events.push(e);
  if (wake) wake();
}

const connectHeaders = { host: '/' };
if (login) Object.assign(connectHeaders, { login, passcode });
const client = new Client({
  webSocketFactory: socket,
  connectHeaders,
  heartbeatIncoming: 0,
  heartbeatOutgoing: 0,
  reconnectDelay: 0,
  debug: () => {},
});
client.onUnhandledReceipt = (f) => push(['RECEIPT', f.headers['receipt-id']]);
client.onDisconnect = () => console.log('RECEIPT disconnect');
client.onStompError = (f) => push(['ERROR', f.headers.message || '']);
client.onWebSocketClose = () => push(['CLOSED', '']);
const onMessage = (m) => push(['MESSAGE', m.body + (m.headers.redelivered === 'true' ? ' redelivered' : ''), m]);

// collect prints events until RECEIPT receipt and `messages` messages came, or
// TIMEOUT; it returns the messages.
async function collect(receipt, messages = 0, timeout = 5000) {
  let got = [];
  let seenReceipt = receipt == null;
  const deadline = Date.now() + timeout;
  while (!(seenReceipt && got.length >= messages)) {
    if (events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        console.log('TIMEOUT');
        return got;
      }
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => { clearTimeout(t); resolve(); };
      });
      wake = null;
      continue;
    }
    const [kind, value, msg] = events.shift();
    console.log(`${kind} ${value}`.trimEnd());
    if (kind === 'RECEIPT' && value === receipt) seenReceipt = true;
    if (kind === 'MESSAGE') got.push(msg);
    if (kind === 'CLOSED') return got;
  }
  return got;
}

async function scenario() {
  console.log('CONNECTED');
  client.publish({ destination: qa, body: 'one', headers: { receipt: 'send-1' } });
  await collect('send-1');
  client.publish({ destination: qa, body: 'two', headers: { receipt: 'send-2' } });
  await collect('send-2');

  const subA = client.subscribe(qa, onMessage, { id: 'sub-a', ack: 'client-individual', receipt: 'sub-a' });
  const got = await collect('sub-a', 2);
  if (got.length === 2) {
    const txAck = client.begin('tx-ack');
    got[0].ack({ transaction: txAck.id });
    txAck.abort();
    got[1].nack();
    const again = await collect(null, 1, 1500);
    if (again.length === 1) {
      again[0].ack({ receipt: 'ack-again' });
      await collect('ack-again');
    }
  }
  subA.unsubscribe({ receipt: 'unsub-a' });
  await collect('unsub-a');

  const subC = client.subscribe(qa, onMessage, { id: 'sub-c', ack: 'client-individual', receipt: 'sub-c' });
  const back = await collect('sub-c', 1, 1500);
  if (back.length === 1) {
    const txAck2 = client.begin('tx-ack2');
    back[0].ack({ transaction: txAck2.id });
    txAck2.commit();
  }
  subC.unsubscribe({ receipt: 'unsub-c' });
  await collect('unsub-c');
  client.publish({ destination: qa, body: 'end', headers: { receipt: 'send-end' } });
  await collect('send-end');
  client.subscribe(qa, onMessage, { id: 'sub-d', ack: 'auto', receipt: 'sub-d' });
  await collect('sub-d', 1);

  const tx1 = client.begin('tx-1');
  client.publish({ destination: qb, body: 'tx-committed', headers: { transaction: tx1.id } });
  tx1.commit();
  const tx2 = client.begin('tx-2');
  client.publish({ destination: qb, body: 'tx-aborted', headers: { transaction: tx2.id } });
  tx2.abort();
  client.publish({ destination: qb, body: 'after', headers: { receipt: 'send-after' } });
  await collect('send-after');
  client.subscribe(qb, onMessage, { id: 'sub-b', ack: 'auto', receipt: 'sub-b' });
  await collect('sub-b', 2);

  // deactivate sends DISCONNECT with a receipt of its own naming and calls
  // onDisconnect when that RECEIPT arrives; its promise resolves once the
  // connection is closed.
  await client.deactivate();
  console.log('DONE');
}

client.onConnect = () => {
  scenario().catch((e) => {
    console.log(`FAILED ${e}`);
    process.exit(1);
  });
};
client.onWebSocketError = (e) => {
  console.log(`SOCKET ERROR ${e.message || e}`);
  process.exit(1);
};
client.activate();
