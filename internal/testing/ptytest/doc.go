// Package ptytest holds end-to-end tests of the interactive shell as a
// person uses it: keys are typed, and the tests check what the screen
// shows.
//
// Most run the shell in this process (InProcess): cmd.Run on
// iostreams.Test streams that say they are a terminal, drawn by a terminal
// emulator (vt10x). Line editing, completion, hints, history, the prompt
// and reconnecting are readline's and stomp's own there. What only a real
// terminal shows runs the stomp binary in a tmux pane (Start): the prompt
// redrawn around messages arriving while a line is typed, escapes reaching
// the terminal (its title), Ctrl-C and SIGTERM as signals, Ctrl-D ending
// cooked input, bench's live line. Those need tmux on PATH and are skipped
// without it.
//
// The package has no non-test code besides this comment.
package ptytest
