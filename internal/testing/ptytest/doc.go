// Package ptytest holds end-to-end tests of the interactive shell as a
// person uses it: the stomp binary runs in a real pseudo-terminal (a tmux
// pane), keys are typed into it, and the tests check what the screen shows.
//
// The package has no non-test code besides this comment. The tests need
// tmux on PATH and are skipped without it.
package ptytest
