// Package corpus holds the stomp.py script corpus and its tests. TestCorpus (corpus_test.go) runs
// every script in testdata/scripts through stomp.py's own CLI and through stomp, on RabbitMQ and
// ActiveMQ at STOMP 1.0, 1.1 and 1.2: what each printed and what each left on the broker must be
// the same, or differ only as an intended improvement listed in improvements_test.go (the README's
// "Compatibility with stomp.py" section is checked against that table). TestListenMatchesStompPy
// (listen_test.go) does the same for -L on a queue already full.
package corpus
