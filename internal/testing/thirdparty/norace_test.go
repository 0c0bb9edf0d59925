//go:build !race

package thirdparty

// raceEnabled: the tests run without -race, so TestMain builds a plain CLI.
const raceEnabled = false
