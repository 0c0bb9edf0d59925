# The Ruby stomp gem (Debian ruby-stomp) runs the suite's scenario and prints its transcript.
#
# Usage: ruby client.rb HOST PORT LOGIN PASSCODE PREFIX   (LOGIN "" for none)
# The scenario and the transcript's lines are described in clients_test.go.
# Stomp::Connection is read one frame at a time (poll), so the transcript shows
# the wire order.
require 'stomp'

host, port, login, passcode, prefix = ARGV
qa = "/queue/#{prefix}-a"
qb = "/queue/#{prefix}-b"
$stdout.sync = true

conn = Stomp::Connection.new(
  hosts: [{ login: login, passcode: passcode, host: host, port: Integer(port), ssl: false }],
  reliable: false,
  connect_timeout: 5,
  connect_headers: { 'accept-version' => '1.2', 'host' => '/' }
)
raise "no CONNECTED: #{conn.connection_frame.inspect}" unless conn.connection_frame&.command == 'CONNECTED'
puts 'CONNECTED'

# collect prints frames until RECEIPT receipt and `messages` messages came, or
# TIMEOUT; it returns the messages.
def collect(conn, receipt, messages = 0, timeout = 5.0)
  got = []
  seen_receipt = receipt.nil?
  deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
  until seen_receipt && got.size >= messages
    f = conn.poll
    if f.nil?
      if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
        puts 'TIMEOUT'
        return got
      end
      sleep 0.005
      next
    end
    case f.command
    when 'RECEIPT'
      puts "RECEIPT #{f.headers['receipt-id']}"
      seen_receipt = true if f.headers['receipt-id'] == receipt
    when 'MESSAGE'
      puts "MESSAGE #{f.body}#{f.headers['redelivered'] == 'true' ? ' redelivered' : ''}"
      got << f
    else
      puts "#{f.command} #{f.headers['message']}"
    end
  end
  got
end

conn.publish(qa, 'one', receipt: 'send-1')
collect(conn, 'send-1')
conn.publish(qa, 'two', receipt: 'send-2')
collect(conn, 'send-2')

conn.subscribe(qa, { id: 'sub-a', ack: 'client-individual', receipt: 'sub-a' })
got = collect(conn, 'sub-a', 2)
if got.size == 2
  conn.begin('tx-ack')
  conn.ack(got[0].headers['ack'], transaction: 'tx-ack')
  conn.abort('tx-ack')
  conn.nack(got[1].headers['ack'])
  again = collect(conn, nil, 1, 1.5)
  unless again.empty?
    conn.ack(again[0].headers['ack'], receipt: 'ack-again')
    collect(conn, 'ack-again')
  end
end
conn.unsubscribe(qa, { id: 'sub-a', receipt: 'unsub-a' })
collect(conn, 'unsub-a')

conn.subscribe(qa, { id: 'sub-c', ack: 'client-individual', receipt: 'sub-c' })
got = collect(conn, 'sub-c', 1, 1.5)
unless got.empty?
  conn.begin('tx-ack2')
  conn.ack(got[0].headers['ack'], transaction: 'tx-ack2')
  conn.commit('tx-ack2')
end
conn.unsubscribe(qa, { id: 'sub-c', receipt: 'unsub-c' })
collect(conn, 'unsub-c')
conn.publish(qa, 'end', receipt: 'send-end')
collect(conn, 'send-end')
conn.subscribe(qa, { id: 'sub-d', ack: 'auto', receipt: 'sub-d' })
collect(conn, 'sub-d', 1)

conn.begin('tx-1')
conn.publish(qb, 'tx-committed', transaction: 'tx-1')
conn.commit('tx-1')
conn.begin('tx-2')
conn.publish(qb, 'tx-aborted', transaction: 'tx-2')
conn.abort('tx-2')
conn.publish(qb, 'after', receipt: 'send-after')
collect(conn, 'send-after')
conn.subscribe(qb, { id: 'sub-b', ack: 'auto', receipt: 'sub-b' })
collect(conn, 'sub-b', 2)

# disconnect reads the next frame itself when a receipt is asked for.
conn.disconnect(receipt: 'disconnect')
r = conn.disconnect_receipt
puts "#{r&.command} #{r&.headers&.fetch('receipt-id', nil)}"
puts 'DONE'
