package bench

import (
	"bytes"
	"context"
	"image"
	"image/color"
	_ "image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/bench/svgchart"
	"github.com/stomp-cli/stomp/internal/testing/testenv"
)

// TestReportInBrowser renders a comparison report in headless Chromium.
// The page is served by the test, which is also Chromium's proxy for
// everything else: every request the browser makes, to any host, is seen.
// The only one must be the page itself; and the screenshot must show the
// lines of both runs in their colours.
func TestReportInBrowser(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		const why = "no chromium: apt-get install chromium (scripts/thirdparty-install.sh)"
		testenv.Missing(t, why)
	}
	ep := embedded(t)
	a := run(t, Config{Endpoint: ep, Pub: 1, Sub: 1, Rate: 500, Duration: 2 * time.Second, Label: "first"})
	b := run(t, Config{Endpoint: ep, Pub: 1, Sub: 1, Rate: 1000, Duration: 2 * time.Second, Label: "second"})
	var page bytes.Buffer
	if err := WriteHTML(&page, "browser test", []*Result{a, b}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.Host+r.URL.Path+" referer="+r.Referer())
		mu.Unlock()
		if r.URL.Path == "/report.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page.Bytes())
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	dir := t.TempDir()
	shot := dir + "/shot.png"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + dir + "/profile",
		"--proxy-server=http://" + host, "--proxy-bypass-list=<-loopback>",
		"--window-size=1400,1100", "--screenshot=" + shot, "http://report.invalid/report.html"}
	cmd := exec.CommandContext(ctx, browser, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}

	mu.Lock()
	defer mu.Unlock()
	// The browser's own background traffic (updates, time) goes through
	// the proxy too; what the page asks for names it as the referer, or
	// goes to its host.
	loaded := false
	for _, r := range requests {
		switch {
		case r == "GET report.invalid/report.html referer=":
			loaded = true
		case strings.Contains(r, "report.invalid") && !strings.Contains(r, "/favicon.ico"):
			t.Errorf("the report fetched %s", r)
		}
	}
	if !loaded {
		t.Fatalf("the browser did not load the page through the test's proxy: %q", requests)
	}

	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Every run's colour is on the page: its lines in the three charts and
	// its legend.
	for i, label := range []string{"first", "second"} {
		want := parseHex(svgchart.Palette[i])
		if n := countNear(img, want); n < 300 {
			t.Errorf("run %q: %d pixels of its colour %s in the screenshot: its lines were not drawn", label, n, svgchart.Palette[i])
		}
	}
}

func parseHex(s string) color.RGBA {
	var c color.RGBA
	h := func(b byte) uint8 {
		switch {
		case b >= 'a':
			return b - 'a' + 10
		case b >= 'A':
			return b - 'A' + 10
		}
		return b - '0'
	}
	c.R, c.G, c.B, c.A = h(s[1])<<4|h(s[2]), h(s[3])<<4|h(s[4]), h(s[5])<<4|h(s[6]), 255
	return c
}

func countNear(img image.Image, c color.RGBA) int {
	near := func(a uint32, b uint8) bool { d := int(a>>8) - int(b); return d > -12 && d < 12 }
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, c.R) && near(pg, c.G) && near(pb, c.B) {
				n++
			}
		}
	}
	return n
}
