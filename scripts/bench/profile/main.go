// Command profile runs the stomp CLI in-process (cmd.Run, the same code as
// the binary) with Go's profilers on, to find where a slow workload spends
// its time before anything is optimised:
//
//	go run ./scripts/bench/profile -cpuprofile cpu.out -- -P 61613 -U guest -W guest -F script.txt
//	go tool pprof -top cpu.out
//
// -trace writes a runtime/trace (go tool trace), which shows time spent
// waiting rather than computing; -blockprofile and -mutexprofile the
// blocking events.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/stomp-cli/stomp/cmd"
)

func main() {
	cpu := flag.String("cpuprofile", "", "write a CPU profile to `file`")
	tr := flag.String("trace", "", "write an execution trace to `file`")
	block := flag.String("blockprofile", "", "write a blocking profile to `file`")
	mutex := flag.String("mutexprofile", "", "write a mutex contention profile to `file`")
	mem := flag.String("memprofile", "", "write an allocation profile to `file`")
	quiet := flag.Bool("quiet", true, "discard the CLI's standard output")
	flag.Parse()

	if *cpu != "" {
		f := create(*cpu)
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *tr != "" {
		f := create(*tr)
		if err := trace.Start(f); err != nil {
			fail(err)
		}
		defer trace.Stop()
	}
	if *block != "" {
		runtime.SetBlockProfileRate(1)
	}
	if *mutex != "" {
		runtime.SetMutexProfileFraction(1)
	}
	var out io.Writer = os.Stdout
	if *quiet {
		out = io.Discard
	}
	t := time.Now()
	code := cmd.Run(context.Background(), flag.Args(), cmd.IO{In: os.Stdin, Out: out, Err: os.Stderr, Getenv: os.Getenv})
	fmt.Fprintf(os.Stderr, "profile: stomp exited %d after %v\n", code, time.Since(t).Round(time.Millisecond))
	write := func(name, path string) {
		if path == "" {
			return
		}
		f := create(path)
		defer f.Close()
		if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
			fail(err)
		}
	}
	write("block", *block)
	write("mutex", *mutex)
	write("allocs", *mem)
}

func create(path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	return f
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "profile:", err)
	os.Exit(1)
}
