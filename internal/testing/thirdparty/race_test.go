//go:build race

package thirdparty

// raceEnabled: the tests run under -race, so TestMain builds the CLI with -race too.
const raceEnabled = true
