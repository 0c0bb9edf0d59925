package commands

import (
	"os"
	"path/filepath"
	"sort"
)

// The candidates commands offer for their arguments (Spec.Complete). They
// read the live session: what is subscribed to, what awaits an ack.

// destinationPrefixes are offered after the destinations subscribed to.
var destinationPrefixes = []string{"/queue/", "/topic/", "/temp-queue/", "/exchange/", "/amq/queue/"}

// destinations offers the destinations subscribed to, then the usual
// prefixes.
func destinations(env *Env) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range env.Session.Subscriptions() {
		if !seen[s.Destination] {
			seen[s.Destination] = true
			out = append(out, s.Destination)
		}
	}
	sort.Strings(out)
	return append(out, destinationPrefixes...)
}

// destinationFirst completes a command whose first argument is a
// destination.
func destinationFirst(env *Env, arg int, _ string) []string {
	if arg == 0 {
		return destinations(env)
	}
	return nil
}

// paths lists the files and directories that match what is typed so far.
func paths(typed string) []string {
	dir, _ := filepath.Split(typed)
	readDir := dir
	if readDir == "" {
		readDir = "."
	}
	entries, err := os.ReadDir(readDir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := dir + e.Name()
		if e.IsDir() {
			name += "/"
		}
		out = append(out, name)
	}
	return out
}
