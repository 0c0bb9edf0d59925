package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/stomp-cli/stomp/stats"
)

func allSpecs(t *Table) []*Spec {
	var all []*Spec
	all = append(all, sendSpecs()...)
	all = append(all, receiveSpecs()...)
	all = append(all, txSpecs()...)
	all = append(all, sessionSpecs(t)...)
	all = append(all, rawSpecs()...)
	return append(all, scriptSpecs()...)
}

func sessionSpecs(t *Table) []*Spec {
	statsSpec := &Spec{
		Name: "stats", Group: "Session", MaxArgs: 1, Usage: "[on|off]", Summary: "count frames and messages",
		Args:        []Arg{{Name: "on|off", Desc: "start (or restart) or stop counting; without it, show the counts", Optional: true}},
		Description: "stats on starts counting; stats shows frames sent, messages, heart-beats and errors\nreceived since then, in stomp.py's format; stats off stops.",
		Example:     "stats on\nsend /queue/a hi\nstats",
	}
	statsSpec.Run = func(ctx context.Context, env *Env, args []string) error {
		switch {
		case len(args) == 0:
			c, err := env.Stats.Report(env.Counts())
			if errors.Is(err, stats.ErrOff) {
				return &UsageError{Msg: "No stats available (turn them on with: stats on)"}
			}
			env.Out.Print(c.Text())
		case len(args) == 1 && args[0] == "on":
			env.Stats.On(env.Counts())
		case len(args) == 1 && args[0] == "off":
			env.Stats.Off()
		default:
			return statsSpec.expecting()
		}
		return nil
	}

	run := &Spec{
		Name: "run", Group: "Scripting", MaxArgs: 1, Usage: "<filename>", Summary: "run the commands in a file",
		Args: []Arg{{Name: "filename", Desc: "a script: one command per line, # for comments"}},
		Description: "Runs each line of a file as a command, stopping at the first that fails.\n" +
			"quit inside the file ends the file.",
		Example: "run setup.txt",
	}
	run.Run = func(ctx context.Context, env *Env, args []string) error {
		if len(args) < 1 {
			return run.expecting()
		}
		return env.RunScript(ctx, args[0])
	}

	connect := &Spec{
		Name: "connect", Aliases: []string{"reconnect"}, Group: "Session", MaxArgs: NoArgs,
		Summary:     "connect again now, after the connection was lost",
		Description: "After a lost connection the shell reconnects by itself, waiting longer after each\nfailed attempt; connect (or reconnect) tries at once. The subscriptions come back.",
		Example:     "reconnect",
	}
	connect.Run = func(ctx context.Context, env *Env, args []string) error {
		if env.Session.Ready() == nil {
			env.Out.Info("Already connected\n")
			return nil
		}
		env.Out.Info("Connecting...\n")
		env.Session.TryNow()
		return nil
	}

	version := &Spec{
		Name: "version", Aliases: []string{"ver"}, Group: "Session", MaxArgs: NoArgs, Summary: "show client and protocol version",
		Description: "Shows this client's version and the STOMP version negotiated with the broker.",
		Example:     "ver",
	}
	version.Run = func(ctx context.Context, env *Env, args []string) error {
		env.Out.Print(env.Out.Theme.Bold(fmt.Sprintf("%s [Protocol version %s]", env.ClientVersion, env.Session.Version())) + "\n")
		return nil
	}

	help := &Spec{
		Name: "help", Aliases: []string{"?"}, Group: "Session", MaxArgs: 1, Usage: "[command]", Summary: "list commands, or explain one",
		Args:        []Arg{{Name: "command", Desc: "the command to explain", Optional: true}},
		Description: "Without an argument, lists the commands; with one, shows its usage and an example.",
		Example:     "help subscribe",
	}
	help.Run = func(ctx context.Context, env *Env, args []string) error {
		text, err := t.Help(optional(args, 0))
		if err != nil {
			return err
		}
		env.Out.Print(text)
		return nil
	}

	quit := &Spec{
		Name: "quit", Aliases: []string{"exit", "EOF"}, Group: "Session", MaxArgs: NoArgs, Summary: "disconnect and leave",
		Description: "Disconnects cleanly (waiting for the broker's receipt) and exits. Ctrl-D does the same.\nIn a script, it ends the script.",
		Example:     "quit",
	}
	quit.Run = func(ctx context.Context, env *Env, args []string) error { return ErrQuit }
	return []*Spec{statsSpec, run, connect, version, help, quit}
}
