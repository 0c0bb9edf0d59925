package cmd

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/listen"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/session"
	"github.com/stomp-cli/stomp/shell"
)

type mode int

const (
	modeShell mode = iota
	modeScript
	modeListen
)

// collectSooner has the garbage collector run when the heap has grown by
// half instead of doubled, unless GOGC is set: the front-ends of listeners
// and line streams call it. They keep almost nothing alive (the frame in
// hand, a few pending acks), so their heap is the collector's minimum goal:
// 4 MB at the default, 2 MB at 50. These are the modes that run overnight,
// so memory counts more than the extra collections (about 15% more CPU on a
// flood of small messages).
func collectSooner(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
}

// runMain connects and runs the mode the flags chose.
func runMain(ctx context.Context, o *options, stdio *iostreams.IOStreams) error {
	m := modeShell
	switch {
	case o.listen != "":
		m = modeListen
	case o.file != "" || !stdio.IsStdinTTY():
		m = modeScript // piped standard input is a script too
	}
	interactive := m == modeShell
	printer := o.out.Printer(stdio)

	// The completer needs the session, which exists only after connecting;
	// it reads it through this pointer, set below.
	completer := &shell.Completer{}
	var sess *session.Session
	prompt := func() string { return shell.Prompt(o.conn.cfg.Brokers[0].Host, sess) }
	var term *shell.Terminal
	if interactive {
		hist := stdio.HistoryFile()
		if o.noHistory {
			hist = ""
		}
		t, err := shell.NewTerminal(shell.TerminalConfig{Prompt: prompt, HistoryPath: hist, Completer: completer, Hint: completer.Hint,
			Secrets: []string{o.conn.cfg.Client.Passcode}, Streams: stdio})
		if err != nil {
			return fmt.Errorf("cannot start the interactive shell: %w", err)
		}
		defer t.Close()
		term = t
		printer.SetOutput(t.Stdout(), t.Stderr())
	}

	// Listeners and the shell stay up: they retry until stopped.
	cc := o.conn.config(printer, o.reconnect.backoff(m == modeListen || interactive))
	style := render.Style{Verbose: o.conn.verbose, Separator: m != modeListen} // stomp.py's blank line after headers, not in listen mode
	env, stopBroker, err := commands.Open(ctx, cc, o.out.Output, printer, style, interactive, "stomp "+Version())
	if err != nil {
		return err
	}
	defer stopBroker()
	sess = env.Session
	completer.Env = env
	env.Style.Numbered = interactive // `ack 17` takes the number shown
	env.DestinationWhenMany = interactive
	env.Style.PrettyJSON = interactive // never in scripts or pipes
	env.WholeErrors = interactive
	env.Style.MarkRedelivered = interactive

	switch m {
	case modeListen:
		collectSooner(stdio.Getenv)
		return listen.Run(ctx, env, listen.Options{Dests: []string{o.listen}, Ack: o.ack, AckGiven: o.ackGiven, Count: o.count, Idle: o.timeout})
	case modeScript:
		path := o.file
		if path == "" {
			path = "-" // commands piped in
		}
		err := shell.Script(ctx, env, path, stdio.InUntil(ctx), shell.Options{ContinueOnError: o.continueOnError})
		return stoppedSending(ctx, err, env.Session, "the rest of the script was not run")
	default:
		// While a command runs the terminal is not in raw mode, so Ctrl-C
		// arrives as SIGINT: it stops that command and the shell goes on.
		// SIGTERM or SIGHUP (the terminal went away) leave like quit does:
		// unsubscribe and disconnect with a receipt.
		o.signals.ForShell()
		return shell.Interactive(ctx, env, term, shell.Options{CommandContext: o.signals.CommandContext})
	}
}
