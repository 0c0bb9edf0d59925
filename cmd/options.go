package cmd

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/signals"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// options are the root command's own flags: the mode (-L, -F) and how it
// runs. Connection flags are in connFlags, shared with the subcommands.
type options struct {
	conn            *connFlags
	out             *outputFlags
	reconnect       *reconnectFlags
	listen          string
	file            string
	ack             string
	ackGiven        bool // --ack was on the command line (see listen.Options.AckGiven)
	count           int
	timeout         time.Duration
	noHistory       bool
	continueOnError bool

	signals *signals.Handler // the run's signal handler (nil when the tree is only inspected)
}

func (o *options) register(fs *pflag.FlagSet) {
	fs.SortFlags = false
	fs.StringVarP(&o.listen, "listen", "L", "", "listen mode: subscribe to `DEST` and print messages until Ctrl-C")
	fs.StringVarP(&o.file, "file", "F", "", "script mode: run the shell commands in `FILE` (- for standard input), then exit")
	fs.StringVar(&o.ack, "ack", session.AckAuto, "ack mode for -L: auto, client or client-individual (acks after each message is written); see --count")
	fs.IntVar(&o.count, "count", 0, "with -L: exit after `N` messages (0 = run until Ctrl-C); any the broker sent past N go back to the queue, unless --ack auto is given")
	fs.DurationVar(&o.timeout, "timeout", 0, "with -L: exit when no message came for this long (exit 3 if --count was not reached)")
	fs.BoolVar(&o.continueOnError, "continue-on-error", false, "with -F: run every line even after one fails, then exit 1 if any did")
	fs.BoolVar(&o.noHistory, "no-history", false, "keep no shell history")
}

// validate checks the mode flags.
func (o *options) validate() error {
	if err := checkAckFlag(o.ack); err != nil {
		return err
	}
	if o.count < 0 {
		return exitcode.Usagef("--count must be 0 or more")
	}
	if (o.count > 0 || o.timeout > 0) && o.listen == "" {
		return exitcode.Usagef("--count and --timeout only apply to -L (listen mode)")
	}
	if o.timeout < 0 {
		return exitcode.Usagef("--timeout must be positive")
	}
	if o.listen != "" && o.file != "" {
		return exitcode.Usagef("-L and -F cannot be used together: listen or run a script")
	}
	return nil
}

// checkAckFlag checks an --ack value before anything connects (exit 2).
func checkAckFlag(mode string) error {
	switch mode {
	case session.AckAuto, session.AckClient, session.AckClientIndividual:
		return nil
	}
	return exitcode.Usagef("unknown --ack mode %q: use auto, client or client-individual", mode)
}
