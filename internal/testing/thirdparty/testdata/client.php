<?php
// PHP's stomp extension (Debian php-stomp) runs the suite's scenario and prints its transcript.
//
// Usage: php client.php HOST PORT LOGIN PASSCODE PREFIX   (LOGIN "" for none)
// The scenario and the transcript's lines are described in clients_test.go.
// The extension waits for the RECEIPT of any frame that asks for one inside the
// call that sends it, so "RECEIPT x" is printed when that call returned true;
// MESSAGE frames are read one at a time (readFrame).
[, $host, $port, $login, $passcode, $prefix] = $argv;
$qa = "/queue/$prefix-a";
$qb = "/queue/$prefix-b";

function receipt(bool $ok, string $id): void {
    echo $ok ? "RECEIPT $id\n" : "NO RECEIPT $id\n";
}

// collect prints messages until $n came, or TIMEOUT; it returns them.
function collect(Stomp $s, int $n, float $timeout = 5.0): array {
    $got = [];
    $deadline = microtime(true) + $timeout;
    while (count($got) < $n) {
        $left = $deadline - microtime(true);
        if ($left <= 0) {
            echo "TIMEOUT\n";
            break;
        }
        $s->setReadTimeout((int)$left, (int)(fmod($left, 1) * 1e6));
        $f = $s->readFrame();
        if ($f === false) {
            continue;
        }
        if ($f->command === 'MESSAGE') {
            $r = ($f->headers['redelivered'] ?? '') === 'true' ? ' redelivered' : '';
            echo "MESSAGE {$f->body}$r\n";
            $got[] = $f;
        } else {
            echo "{$f->command} " . ($f->headers['receipt-id'] ?? $f->headers['message'] ?? '') . "\n";
        }
    }
    // The extension waits for receipts with the same read timeout: restore it.
    $s->setReadTimeout(5);
    return $got;
}

try {
    $s = new Stomp("tcp://$host:$port", $login === '' ? null : $login, $passcode === '' ? null : $passcode,
        ['accept-version' => '1.2', 'host' => '/']);
    echo "CONNECTED\n";

    receipt($s->send($qa, 'one', ['receipt' => 'send-1']), 'send-1');
    receipt($s->send($qa, 'two', ['receipt' => 'send-2']), 'send-2');

    receipt($s->subscribe($qa, ['id' => 'sub-a', 'ack' => 'client-individual', 'receipt' => 'sub-a']), 'sub-a');
    $got = collect($s, 2);
    if (count($got) == 2) {
        $s->begin('tx-ack');
        $s->ack($got[0], ['id' => $got[0]->headers['ack'], 'transaction' => 'tx-ack']);
        $s->abort('tx-ack');
        $s->nack($got[1], ['id' => $got[1]->headers['ack']]);
        $again = collect($s, 1, 1.5);
        if ($again) {
            receipt($s->ack($again[0], ['id' => $again[0]->headers['ack'], 'receipt' => 'ack-again']), 'ack-again');
        }
    }
    receipt($s->unsubscribe($qa, ['id' => 'sub-a', 'receipt' => 'unsub-a']), 'unsub-a');

    receipt($s->subscribe($qa, ['id' => 'sub-c', 'ack' => 'client-individual', 'receipt' => 'sub-c']), 'sub-c');
    $got = collect($s, 1, 1.5);
    if ($got) {
        $s->begin('tx-ack2');
        $s->ack($got[0], ['id' => $got[0]->headers['ack'], 'transaction' => 'tx-ack2']);
        $s->commit('tx-ack2');
    }
    receipt($s->unsubscribe($qa, ['id' => 'sub-c', 'receipt' => 'unsub-c']), 'unsub-c');
    receipt($s->send($qa, 'end', ['receipt' => 'send-end']), 'send-end');
    receipt($s->subscribe($qa, ['id' => 'sub-d', 'ack' => 'auto', 'receipt' => 'sub-d']), 'sub-d');
    collect($s, 1);

    $s->begin('tx-1');
    $s->send($qb, 'tx-committed', ['transaction' => 'tx-1']);
    $s->commit('tx-1');
    $s->begin('tx-2');
    $s->send($qb, 'tx-aborted', ['transaction' => 'tx-2']);
    $s->abort('tx-2');
    receipt($s->send($qb, 'after', ['receipt' => 'send-after']), 'send-after');
    receipt($s->subscribe($qb, ['id' => 'sub-b', 'ack' => 'auto', 'receipt' => 'sub-b']), 'sub-b');
    collect($s, 2);

    // The extension has no disconnect call: its destructor sends DISCONNECT
    // without a receipt.
    unset($s);
    echo "DONE\n";
} catch (StompException $e) {
    echo "FAILED {$e->getMessage()}\n";
    exit(1);
}
