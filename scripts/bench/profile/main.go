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
	"github.com/stomp-cli/stomp/internal/iostreams"
)

func main() {
	cpu := flag.String("cpuprofile", "", "write a CPU profile to `file`")
	tr := flag.String("trace", "", "write an execution trace to `file`")
	block := flag.String("blockprofile", "", "write a blocking profile to `file`")
	mutex := flag.String("mutexprofile", "", "write a mutex contention profile to `file`")
	mem := flag.String("memprofile", "", "write an allocation profile to `file`")
	peak := flag.String("peakheap", "", "write a heap profile to `file` when the live heap is at its largest (sampled every 5 ms, every allocation recorded)")
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
	if *peak != "" {
		runtime.MemProfileRate = 1
		stopPeak := watchPeakHeap(*peak)
		defer stopPeak()
	}
	t := time.Now()
	stdio := iostreams.System()
	stdio.Out = out
	code := cmd.Run(context.Background(), flag.Args(), stdio)
	fmt.Fprintf(os.Stderr, "profile: stomp exited %d after %v\n", code, time.Since(t).Round(time.Millisecond))
	for name, path := range map[string]string{"block": *block, "mutex": *mutex, "allocs": *mem} {
		if path != "" {
			writeProfile(name, path)
		}
	}
}

// writeProfile writes the named runtime/pprof profile to path.
func writeProfile(name, path string) {
	f := create(path)
	defer f.Close()
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		fail(err)
	}
}

// watchPeakHeap writes a heap profile to path each time the heap, sampled
// once after each new collection, is larger than any seen before, so the
// file left at the end shows what was alive at the peak (what RSS
// follows), not at exit.
func watchPeakHeap(path string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var largest uint64
		var lastGC uint32
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintf(os.Stderr, "profile: peak heap in use after a collection %.1f MB\n", float64(largest)/1e6)
				return
			case <-tick.C:
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.NumGC == lastGC || m.HeapAlloc <= largest {
				continue
			}
			lastGC, largest = m.NumGC, m.HeapAlloc
			writeProfile("heap", path)
		}
	}()
	return func() { close(done); <-finished }
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
