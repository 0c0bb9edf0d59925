package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// layers orders the tree from the wire up: a package may import packages
// of its own layer or below, never one above it. A package takes the layer
// of the longest prefix here that names it, so a new package under
// internal/stomp/ lands in the protocol layer and a new one under
// internal/ in the tools layer without an edit.
var layers = map[string]int{
	// Protocol building blocks and small leaf packages with no project imports.
	"internal/stomp/wire":     0,
	"internal/stomp/wsstream": 0,
	"internal/stomp/endpoint": 0,
	"internal/exitcode":       0,
	"internal/render":         0,
	"internal/secret":         0,
	"internal/iostreams":      0,
	"internal/contexts":       0,
	"internal/bench/svgchart": 0,
	"stats":                   0,
	// One connection, then the state a user builds on it; the broker sits
	// beside them, on the wire alone.
	"internal/stomp/":        1,
	"internal/stomp/session": 2,
	"internal/broker":        2,
	// Tools and the command table.
	"internal/": 3,
	"commands":  3,
	// Front-ends.
	"shell": 4,
	"cmd":   5,
	// Programs and test harnesses may use everything.
	"":                  6,
	"scripts/":          6,
	"internal/testing/": 6,
}

const module = "github.com/stomp-cli/stomp"

func layerOf(rel string) int {
	best, layer := -1, 0
	for prefix, l := range layers {
		matches := rel == prefix || strings.HasPrefix(rel, prefix) && (strings.HasSuffix(prefix, "/") || strings.HasPrefix(rel, prefix+"/"))
		if matches && len(prefix) > best {
			best, layer = len(prefix), l
		}
	}
	return layer
}

// TestLayers: no package imports one above it, and nothing but tests and
// programs imports a test harness.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			checked++
			if layerOf(dep) > layerOf(rel) {
				t.Errorf("%s (layer %d) imports %s (layer %d), a layer above it", rel, layerOf(rel), dep, layerOf(dep))
			}
			if strings.HasPrefix(dep, "internal/testing/") && layerOf(rel) != 6 {
				t.Errorf("%s imports the test harness %s", rel, dep)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d imports checked: go list output not understood", checked)
	}
}
