// Package corpus holds the stomp.py script corpus and its test (corpus_test.go): every script in
// testdata/scripts runs through stomp.py's own CLI and through stomp, on RabbitMQ and ActiveMQ at
// every protocol version both speak there, and what each printed and what each left on the broker
// must be the same, or differ only as an intended improvement listed in improvements_test.go
// (the README's "Compatibility with stomp.py" section is checked against that table).
package corpus
