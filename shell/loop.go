// Package shell runs command lines through the command table: typed at a
// terminal, read from a -F script or a `run` file, or piped in. One loop
// serves them all, so they behave alike.
package shell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
)

// LineReader yields lines of input; io.EOF ends them.
type LineReader interface {
	ReadLine() (string, error)
}

// ErrInterrupted is returned by an interactive LineReader for Ctrl-C.
var ErrInterrupted = errors.New("interrupted")

// ScriptError says which line of which script failed.
type ScriptError struct {
	File string
	Line int
	Err  error
}

func (e *ScriptError) Error() string {
	return fmt.Sprintf("%s, line %d: %v", e.File, e.Line, e.Err)
}

func (e *ScriptError) Unwrap() error { return e.Err }

// Options say how the loop treats errors.
type Options struct {
	// Script stops at the first failing line and returns it as a
	// *ScriptError; otherwise (interactive) errors are shown and the loop
	// goes on.
	Script bool
	// Name is the script's name for error messages.
	Name string
	// CommandContext wraps the context each command runs under (the shell
	// uses it to let Ctrl-C stop a waiting command). Nil means ctx itself.
	CommandContext func(ctx context.Context) (context.Context, context.CancelFunc)
	// ContinueOnError (scripts) reports a failing line and goes on; the
	// run then ends with an error saying how many lines failed.
	ContinueOnError bool
	// OnInterrupt is called for Ctrl-C at an empty prompt.
	OnInterrupt func()
	depth       int
}

// maxDepth stops `run` from recursing forever through a script that runs itself.
const maxDepth = 10

// ErrQuit tells the caller the user asked to quit (rather than input ending).
var ErrQuit = commands.ErrQuit

// Run reads and executes lines until input ends, the user quits (ErrQuit),
// ctx ends, or, in script mode, a line fails.
func Run(ctx context.Context, lr LineReader, env *commands.Env, o Options) error {
	if o.depth > maxDepth {
		return exitcode.Usagef("run is nested more than %d deep (does a script run itself?)", maxDepth)
	}
	failed := 0
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := lr.ReadLine()
		if errors.Is(err, ErrInterrupted) {
			if line == "" && o.OnInterrupt != nil {
				o.OnInterrupt()
			}
			continue
		}
		if err == io.EOF {
			if failed > 0 {
				return fmt.Errorf("%d line(s) of %s failed", failed, o.Name)
			}
			return nil
		}
		if err != nil {
			if o.Script {
				return &ScriptError{File: o.Name, Line: n, Err: err}
			}
			return err
		}
		err = execute(ctx, env, line, o)
		switch {
		case err == nil:
		case errors.Is(err, ErrQuit):
			return ErrQuit
		case o.Script:
			var se *ScriptError
			if !errors.As(err, &se) { // a nested run's errors are located already
				err = &ScriptError{File: o.Name, Line: n, Err: err}
			}
			if !o.ContinueOnError {
				return err
			}
			env.Out.Error(err.Error())
			failed++
		default:
			env.Out.Error(err.Error())
		}
	}
}

// execute runs one line as a fresh call of its command. Blank lines and #
// comments do nothing.
func execute(ctx context.Context, env *commands.Env, line string, o Options) error {
	line = commands.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	if strings.HasPrefix(line, "?") { // stomp.py's "?send" means "help send"
		line = "help " + line[1:]
	}
	name, rest := commands.SplitName(line)
	table := commands.Commands()
	spec, ok := table.Lookup(name)
	if !ok {
		// Named by the line's first word, as stomp.py names it.
		return table.UnknownCommand(commands.Split(line)[0].Raw)
	}
	if spec.Broker {
		if err := env.Session.Ready(); err != nil {
			return err // one line, with when the next try is
		}
	}
	cmdCtx := ctx
	if o.CommandContext != nil {
		var cancel context.CancelFunc
		cmdCtx, cancel = o.CommandContext(ctx)
		defer cancel()
	}
	err := spec.Run(cmdCtx, &commands.Call{Spec: spec, Env: env, Args: spec.Prepare(env, commands.Split(rest)),
		Scripts: scripts{env: env, parent: o}})
	if err != nil && cmdCtx.Err() != nil && ctx.Err() == nil {
		// Ctrl-C stopped this command alone: say so in a word, not as
		// Go's "context canceled".
		return errCommandInterrupted
	}
	return err
}

// errCommandInterrupted is what the shell shows for a command Ctrl-C
// stopped; the shell itself goes on.
var errCommandInterrupted = errors.New("interrupted")

// scripts is what the loop gives a command to run script files with
// (`run`): they run through this loop's options, one level deeper.
type scripts struct {
	env    *commands.Env
	parent Options
}

func (s scripts) RunScript(ctx context.Context, path string) error {
	return runFile(ctx, path, s.env, s.parent)
}

// runFile runs the script file at path (-F, run), one level below parent.
func runFile(ctx context.Context, path string, env *commands.Env, parent Options) error {
	f, err := os.Open(path)
	if err != nil {
		return scriptOpenError(path, err)
	}
	defer f.Close()
	o := parent
	o.Script, o.Name, o.depth = true, path, parent.depth+1
	err = Run(ctx, newScriptReader(f), env, o)
	if errors.Is(err, ErrQuit) {
		return nil // quit ends the file it is in
	}
	return err
}

func scriptOpenError(path string, err error) error {
	if os.IsNotExist(err) {
		return exitcode.Usagef("File %s was not found", path)
	}
	return exitcode.Usagef("cannot read script %s: %v", path, err)
}

// scriptReader reads lines from a file or pipe. It refuses binary input
// (a NUL byte) rather than sending garbage to the broker, and lines of any
// length up to 64 MiB. Lines end as Python's universal newlines end them
// (\n, \r\n or a lone \r), so stomp.py and stomp see the same lines.
type scriptReader struct {
	sc *bufio.Scanner
}

// newScriptReader reads lines from r.
func newScriptReader(r io.Reader) *scriptReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	sc.Split(scanUniversalLines)
	return &scriptReader{sc: sc}
}

// scanUniversalLines is bufio.ScanLines with a lone \r ending a line too.
func scanUniversalLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		switch {
		case i+1 < len(data) && data[i+1] == '\n':
			return i + 2, data[:i], nil
		case i+1 < len(data) || atEOF:
			return i + 1, data[:i], nil
		}
		return 0, nil, nil // a \r at the end of the buffer: is \n next?
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// ReadLine returns the next line without its line ending.
func (s *scriptReader) ReadLine() (string, error) {
	if !s.sc.Scan() {
		if err := s.sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return "", errors.New("a line is longer than 64 MiB")
			}
			return "", err
		}
		return "", io.EOF
	}
	line := s.sc.Text()
	if strings.IndexByte(line, 0) >= 0 {
		return "", errors.New("the script contains NUL bytes: is it a binary file?")
	}
	return line, nil
}
