package commands

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEachCommandInItsOwnFile: a command's file is named after it and
// registers it alone, so a reader finds begin in begin.go, and every
// registered command is found that way.
func TestEachCommandInItsOwnFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := map[string]string{} // command -> file
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "Register" {
				return true
			}
			names = append(names, specName(t, fset, call))
			return true
		})
		if len(names) > 1 {
			t.Errorf("%s registers %d commands (%s): give each its own file", file, len(names), strings.Join(names, ", "))
		}
		for _, n := range names {
			if want := n + ".go"; file != want {
				t.Errorf("%s registers %s: name the file %s", file, n, want)
			}
			found[n] = file
		}
	}
	for _, s := range Commands().Specs() {
		if _, ok := found[s.Name]; !ok {
			t.Errorf("%s is registered outside a file of its own", s.Name)
		}
	}
}

// specName is the Name of the &Spec{...} a Register call is given.
func specName(t *testing.T, fset *token.FileSet, call *ast.CallExpr) string {
	t.Helper()
	if u, ok := call.Args[0].(*ast.UnaryExpr); ok {
		if lit, ok := u.X.(*ast.CompositeLit); ok {
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
					if v, ok := kv.Value.(*ast.BasicLit); ok {
						if name, err := strconv.Unquote(v.Value); err == nil {
							return name
						}
					}
				}
			}
		}
	}
	t.Fatalf("%s: Register is given something other than &Spec{Name: \"...\", ...}", fset.Position(call.Pos()))
	return ""
}

// TestHelpListsGroupsInOrder: help and the man page list the commands
// group by group in GroupOrder, by name within a group.
func TestHelpListsGroupsInOrder(t *testing.T) {
	specs := Commands().Specs()
	for i := 1; i < len(specs); i++ {
		a, b := specs[i-1], specs[i]
		ga, gb := slices.Index(GroupOrder, a.Group), slices.Index(GroupOrder, b.Group)
		if ga > gb || ga == gb && a.Name > b.Name {
			t.Errorf("%s (%s) is listed before %s (%s)", a.Name, a.Group, b.Name, b.Group)
		}
	}
	text, err := Commands().Help("")
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for _, g := range GroupOrder {
		i := strings.Index(text, "\n"+g+":\n")
		if i < last {
			t.Errorf("help lists %s out of order:\n%s", g, text)
		}
		last = i
	}
}

// TestUnknownCommandSuggests: a typo gets the nearest name, a name cut
// short the command it begins (not a short name a letter or two away),
// and anything else the way to the list.
func TestUnknownCommandSuggests(t *testing.T) {
	for typed, want := range map[string]string{
		"sned":  "Unknown command: sned (did you mean send?)",
		"sub":   "Unknown command: sub (did you mean subscribe?)",
		"unsub": "Unknown command: unsub (did you mean unsubscribe?)",
		"SEND":  "Unknown command: SEND (did you mean send?)",
		"xyzzy": "Unknown command: xyzzy (type help for the list)",
		// The first word names the line; the name in it (SplitName) finds the suggestion.
		"sned/queue/a": "Unknown command: sned/queue/a (did you mean send?)",
		"!ls":          "Unknown command: !ls (type help for the list)",
	} {
		if got := Commands().UnknownCommand(typed).Error(); got != want {
			t.Errorf("%s: %q, want %q", typed, got, want)
		}
	}
}
