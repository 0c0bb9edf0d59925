package testbin

import "github.com/stomp-cli/stomp/internal/iostreams"

// Buffer collects what a process (or an in-process CLI) writes while the
// test reads it: writes and reads may come from different goroutines. It is
// the buffer iostreams.Test writes to.
type Buffer = iostreams.Buffer
