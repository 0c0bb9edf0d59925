package cmd

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/listen"
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
func runMain(ctx context.Context, o *options, stdio IO) error {
	m := modeShell
	switch {
	case o.listen != "":
		m = modeListen
	case o.file != "" || !stdio.IsStdinTTY():
		m = modeScript // piped standard input is a script too
	}
	interactive := m == modeShell
	printer := newPrinter(o.conn, o.out, stdio)

	// The completer needs the session, which exists only after connecting;
	// it reads it through this pointer, set below.
	completer := &shell.Completer{}
	var sess *session.Session
	prompt := func() string { return shellPrompt(o.conn.host, sess) }
	var term *shell.Terminal
	if interactive {
		hist := stdio.HistoryFile()
		if o.noHistory {
			hist = ""
		}
		t, err := shell.NewTerminal(shell.TerminalConfig{Prompt: prompt, HistoryPath: hist, Completer: completer, Hint: completer.Hint,
			Secrets: []string{o.conn.password}, Streams: stdio})
		if err != nil {
			return fmt.Errorf("cannot start the interactive shell: %w", err)
		}
		defer t.Close()
		term = t
		printer.SetOutput(t.Stdout(), t.Stderr())
	}

	env, stopBroker, err := openEnv(ctx, o.conn, o.out, o.reconnect, printer, m != modeListen, interactive)
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
		return script(ctx, o, env, stdio)
	default:
		return interactiveShell(ctx, o, env, term)
	}
}

func script(ctx context.Context, o *options, env *commands.Env, stdio IO) error {
	r := env.Receive(commands.Hooks{})
	path := o.file
	if path == "" {
		path = "-"
	}
	err := shell.RunFile(ctx, path, stdio.In, env, shell.Options{Script: true, ContinueOnError: o.continueOnError})
	if errors.Is(err, shell.ErrQuit) {
		err = nil
	}
	return env.FinishRun(r, err)
}

// shellPrompt shows where the user is: "127.0.0.1 1.2> ", with the open
// transaction ("127.0.0.1 1.2 tx:d6ba08cc> ") or a lost connection
// ("127.0.0.1 disconnected> ").
func shellPrompt(host string, sess *session.Session) string {
	if sess == nil {
		return host + "> "
	}
	host = sess.Config().Brokers[0].Host // the embedded broker's, once started
	if sess.Conn().Err() != nil {
		return host + " disconnected> "
	}
	p := host + " " + sess.Version()
	if tx := sess.Transaction(); tx != "" {
		p += " tx:" + tx[:min(8, len(tx))]
	}
	if n := sess.PendingCount(); n > 0 {
		p += " unacked:" + strconv.Itoa(n)
	}
	return p + "> "
}

func interactiveShell(ctx context.Context, o *options, env *commands.Env, t *shell.Terminal) error {
	r := env.Receive(commands.Hooks{
		Interactive: true,
		Changed:     t.UpdatePrompt,
		After: func(f *frame.Frame, p *session.Pending, sinkErr error) {
			if sinkErr != nil {
				env.Out.Error(sinkErr.Error()) // not acked: the user decides
			}
			if p != nil {
				t.UpdatePrompt() // one more message awaits an ack
			}
		},
	})
	go func() {
		<-r.Done()
		if r.Err() != nil {
			env.Out.Error(r.Err().Error())
			t.UpdatePrompt()
		}
	}()
	// While a command runs the terminal is not in raw mode, so Ctrl-C
	// arrives as SIGINT: it stops that command and the shell goes on.
	// SIGTERM or SIGHUP (the terminal went away) leave like quit does:
	// unsubscribe and disconnect with a receipt.
	sig := o.signals
	sig.forShell()
	left := make(chan struct{})
	defer close(left)
	go func() {
		select {
		case <-ctx.Done():
			t.Interrupt() // unblocks the line being read
		case <-left:
		}
	}()
	err := shell.Run(ctx, t, env, shell.Options{
		CommandContext: sig.commandContext,
		OnInterrupt: func() {
			if ctx.Err() == nil {
				env.Out.Print("(type quit or press Ctrl-D to leave)\n")
			}
		},
	})
	if errors.Is(err, shell.ErrQuit) || ctx.Err() != nil {
		err = nil
	}
	ferr := env.Finish(r)
	if err != nil {
		return err
	}
	if r.Err() != nil {
		return nil // already shown; leaving a shell is not a failure
	}
	return ferr
}
