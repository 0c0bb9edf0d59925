// Command stomp is a command-line client for STOMP message brokers.
package main

import (
	"os"

	"github.com/stomp-cli/stomp/cmd"
)

func main() { os.Exit(cmd.Main()) }
