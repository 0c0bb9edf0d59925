package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"golang.org/x/term"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/client"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/session"
	"github.com/stomp-cli/stomp/shell"
)

// disconnectTimeout bounds the wait for the broker's DISCONNECT receipt.
const disconnectTimeout = 5 * time.Second

type mode int

const (
	modeShell mode = iota
	modeScript
	modeListen
)

func isTerminal(x any) bool {
	f, ok := x.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// runMain connects and runs the mode the flags chose.
func runMain(ctx context.Context, o *options, stdio IO) error {
	m := modeShell
	switch {
	case o.listen != "":
		m = modeListen
	case o.file != "" || !isTerminal(stdio.In):
		m = modeScript // piped standard input is a script too
	}
	interactive := m == modeShell
	theme := render.NewTheme(o.conn.colorOK && isTerminal(stdio.Out))
	printer := commands.NewPrinter(stdio.Out, stdio.Err, theme)

	// The completer needs the session, which exists only after connecting;
	// it reads it through this pointer, set below.
	completer := &shell.Completer{}
	var sess *session.Session
	prompt := func() string { return shellPrompt(o.conn.host, sess) }
	var term *shell.Terminal
	if interactive {
		hist := shell.HistoryPath()
		if o.noHistory {
			hist = ""
		}
		t, err := shell.NewTerminal(shell.TerminalConfig{Prompt: prompt, HistoryPath: hist, Completer: completer})
		if err != nil {
			return fmt.Errorf("cannot start the interactive shell: %w", err)
		}
		defer t.Close()
		term = t
		printer.SetOutput(t.Stdout(), t.Stderr())
	}

	conn, stopBroker, err := o.conn.connect(ctx, printer, interactive)
	if err != nil {
		return err
	}
	defer stopBroker()
	sess = session.New(conn, o.conn.receiptTimeout)
	style := render.Style{Verbose: o.conn.verbose, Separator: m != modeListen}
	env := commands.NewEnv(printer, sess, style, "stomp "+Version())
	completer.Env = env

	switch m {
	case modeListen:
		return listen(ctx, o, env)
	case modeScript:
		return script(ctx, o, env, stdio)
	default:
		return interactiveShell(ctx, env, term)
	}
}

// receiver shows every frame the broker sends, in order, until the
// connection ends. afterShow runs once a message is written out (listen
// mode acks there). It reports the error that ended the connection, if any.
type receiver struct {
	done chan struct{}
	err  error
}

func startReceiver(env *commands.Env, afterShow func(*frame.Frame, *session.Pending)) *receiver {
	r := &receiver{done: make(chan struct{})}
	conn := env.Session.Conn()
	go func() {
		defer close(r.done)
		for f := range conn.Incoming() {
			p := env.Session.Observe(f)
			env.Show(f)
			if afterShow != nil {
				afterShow(f, p)
			}
		}
		if err := conn.Err(); !errors.Is(err, client.ErrClosed) {
			r.err = err
		}
	}()
	return r
}

// finish disconnects cleanly and waits for everything received to be shown.
func finish(env *commands.Env, r *receiver) error {
	ctx, cancel := context.WithTimeout(context.Background(), disconnectTimeout)
	defer cancel()
	err := env.Session.Close(ctx)
	<-r.done
	if err != nil && !errors.Is(err, client.ErrClosed) {
		return fmt.Errorf("disconnect not confirmed by the broker: %w", err)
	}
	return nil
}

func script(ctx context.Context, o *options, env *commands.Env, stdio IO) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := startReceiver(env, nil)
	path := o.file
	if path == "" {
		path = "-"
	}
	err := shell.RunFile(ctx, path, stdio.In, env, shell.Options{Script: true})
	if errors.Is(err, shell.ErrQuit) {
		err = nil
	}
	if ctx.Err() != nil && err != nil {
		err = errInterrupted
	}
	// Only a confirmed DISCONNECT proves the broker has every message.
	ferr := finish(env, r)
	if err != nil {
		return err
	}
	if r.err != nil {
		return r.err
	}
	return ferr
}

// shellPrompt shows where the user is: "127.0.0.1 1.2> ", with the open
// transaction ("127.0.0.1 1.2 tx:d6ba08cc> ") or a lost connection
// ("127.0.0.1 disconnected> ").
func shellPrompt(host string, sess *session.Session) string {
	switch {
	case sess == nil:
		return host + "> "
	case sess.Conn().Err() != nil:
		return host + " disconnected> "
	}
	p := host + " " + sess.Version()
	if tx := sess.Transaction(); tx != "" {
		p += " tx:" + tx[:min(8, len(tx))]
	}
	return p + "> "
}

func interactiveShell(ctx context.Context, env *commands.Env, t *shell.Terminal) error {
	r := startReceiver(env, nil)
	go func() {
		<-r.done
		if r.err != nil {
			env.Out.Error(r.err.Error())
			t.UpdatePrompt()
		}
	}()
	// While a command runs the terminal is not in raw mode, so Ctrl-C
	// arrives as SIGINT: it stops that command and the shell goes on.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	var mu sync.Mutex
	var cancelCmd context.CancelFunc
	go func() {
		for range sigs {
			mu.Lock()
			if cancelCmd != nil {
				cancelCmd()
			}
			mu.Unlock()
		}
	}()
	err := shell.Run(ctx, t, env, shell.Options{
		CommandContext: func(ctx context.Context) (context.Context, context.CancelFunc) {
			c, cancel := context.WithCancel(ctx)
			mu.Lock()
			cancelCmd = cancel
			mu.Unlock()
			return c, func() {
				mu.Lock()
				cancelCmd = nil
				mu.Unlock()
				cancel()
			}
		},
		OnInterrupt: func() { env.Out.Print("(type quit or press Ctrl-D to leave)\n") },
	})
	if errors.Is(err, shell.ErrQuit) {
		err = nil
	}
	ferr := finish(env, r)
	if err != nil {
		return err
	}
	if r.err != nil {
		return nil // already shown; leaving a shell is not a failure
	}
	return ferr
}

// listen subscribes to -L's destination and shows messages until Ctrl-C,
// SIGTERM or the end of the connection. In client ack modes each message is
// acked only after it has been written out, so nothing acked is lost.
func listen(ctx context.Context, o *options, env *commands.Env) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var ackErr error
	var once sync.Once
	countReached := make(chan struct{})
	seen := 0
	r := startReceiver(env, func(f *frame.Frame, p *session.Pending) {
		if f.Command != frame.MESSAGE {
			return
		}
		if p != nil {
			if err := env.Session.Ack(ctx, p.MessageID, p.Subscription, false); err != nil {
				once.Do(func() { ackErr = err })
			}
		}
		seen++
		if seen == o.count {
			close(countReached)
		}
	})
	sub, err := env.Session.Subscribe(ctx, o.listen, o.ack, nil)
	if err != nil {
		finish(env, r)
		return err
	}
	env.Out.Print(fmt.Sprintf("Subscribing to '%s' with acknowledge set to '%s', id set to '%s'\n", sub.Destination, sub.Ack, sub.ID))
	select {
	case <-countReached:
		return finish(env, r)
	case <-ctx.Done():
		stop()
		// A second Ctrl-C while we wait for the broker quits at once.
		go func() {
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
			<-sig
			os.Exit(exitSignal)
		}()
		return finish(env, r)
	case <-r.done:
		if r.err != nil {
			return r.err
		}
		return ackErr
	}
}
