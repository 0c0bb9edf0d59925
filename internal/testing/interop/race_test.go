//go:build race

package interop

// raceEnabled: the tests run under -race, so TestMain builds the CLI with -race too.
const raceEnabled = true
