package shell

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Script runs the script at path ("-": stdin) on env's session, shows what
// arrives meanwhile, and disconnects: -F, or commands piped in. Only a
// confirmed DISCONNECT proves the broker has every message sent, so the
// run fails without one.
func Script(ctx context.Context, env *commands.Env, path string, stdin io.Reader, o Options) error {
	r := env.Receive(commands.Hooks{})
	var err error
	if path == "-" {
		o.Script, o.Name = true, "standard input"
		err = Run(ctx, newScriptReader(stdin), env, o)
	} else {
		err = runFile(ctx, path, env, o)
	}
	if errors.Is(err, ErrQuit) {
		err = nil
	}
	return env.FinishRun(r, err)
}

// Interactive runs the shell at terminal t on env's session until the
// user quits, input ends or ctx ends (SIGTERM, the terminal went away),
// then disconnects. What arrives is shown as it comes, the prompt kept up
// to date; a lost connection is reported and the shell goes on (connect
// tries again). o.CommandContext says how Ctrl-C reaches a running
// command.
func Interactive(ctx context.Context, env *commands.Env, t *Terminal, o Options) error {
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
	left := make(chan struct{})
	defer close(left)
	go func() {
		select {
		case <-ctx.Done():
			t.Interrupt() // unblocks the line being read
		case <-left:
		}
	}()
	o.OnInterrupt = func() {
		if ctx.Err() == nil {
			env.Out.Print("(type quit or press Ctrl-D to leave)\n")
		}
	}
	err := Run(ctx, t, env, o)
	if errors.Is(err, ErrQuit) || ctx.Err() != nil {
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

// Prompt shows where the user is: "127.0.0.1 1.2> ", with the open
// transaction ("127.0.0.1 1.2 tx:d6ba08cc> "), the messages awaiting an
// ack ("unacked:3") or a lost connection ("127.0.0.1 disconnected> ").
// host is shown until the session is open (sess nil).
func Prompt(host string, sess *session.Session) string {
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
