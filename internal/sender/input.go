package sender

import (
	"io"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// Input is where `stomp send` takes its messages from: BODY (a Go
// template, or standard input when empty or "-"), --file, the lines of
// standard input (--lines, ending at --delimiter) or its JSON lines
// (--jsonl, to --to or to each message's own destination).
type Input struct {
	Dest      string
	Body      string
	File      string
	Lines     bool
	Delimiter byte // with Lines
	JSONL     bool
	To        string // with JSONL
	Count     int    // times to send the body (not with Lines or JSONL)
}

// Check refuses what cannot be meant (a usage error, exit 2).
func (in Input) Check() error {
	if in.Count < 1 {
		return exitcode.Usagef("--count must be at least 1")
	}
	if in.To != "" && !in.JSONL {
		return exitcode.Usagef("--to applies to --jsonl only")
	}
	sources := 0
	for _, set := range []bool{in.Body != "" && in.Body != "-", in.File != "", in.Lines, in.JSONL} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return exitcode.Usagef("give the body one way: BODY, --file, --lines or --jsonl")
	}
	if in.Lines && in.Count != 1 {
		return exitcode.Usagef("--count does not apply to --lines (each line is one message)")
	}
	return nil
}

// ReadsStdin says standard input is where the messages come from.
func (in Input) ReadsStdin() bool {
	return in.JSONL || in.Lines || in.File == "" && (in.Body == "" || in.Body == "-")
}

// Source opens the messages, with stdin as standard input. A body read
// whole (standard input, --file) is read now.
func (in Input) Source(stdin io.Reader) (Source, error) {
	switch {
	case in.JSONL:
		return JSONL(stdin, in.To), nil
	case in.Lines:
		return Lines(in.Dest, stdin, in.Delimiter), nil
	}
	body, err := Body(in.Body, in.File, stdin)
	if err != nil {
		return nil, err
	}
	return Repeat(in.Dest, body, in.Count), nil
}
