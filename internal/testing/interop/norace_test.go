//go:build !race

package interop

// raceEnabled: the tests run without -race, so TestMain builds a plain CLI.
const raceEnabled = false
