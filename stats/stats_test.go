package stats

import (
	"errors"
	"testing"
)

func TestRecorderCountsFromOn(t *testing.T) {
	var r Recorder
	if _, err := r.Report(Counts{}); !errors.Is(err, ErrOff) {
		t.Fatalf("report while off: %v", err)
	}
	r.Off() // stomp.py crashes here (reference §11.4); we must not
	r.On(Counts{FramesSent: 5, MessagesReceived: 2})
	got, err := r.Report(Counts{FramesSent: 8, MessagesReceived: 2, Errors: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := "Connections: 0\nDisconnects: 0\nMessages sent: 3\nMessages received: 0\nHeartbeats received: 0\nErrors: 1\n"
	if got.Text() != want {
		t.Fatalf("got\n%s\nwant\n%s", got.Text(), want)
	}
	r.Off()
	if _, err := r.Report(Counts{}); !errors.Is(err, ErrOff) {
		t.Fatalf("report after off: %v", err)
	}
}
