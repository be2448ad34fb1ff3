package views

import (
	"context"
	"html"
	"strings"
	"testing"
)

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", `<script>alert("x")</script>`, "the server's record", "a & b > c", "é\x00\xff'\"<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		if err := text(s).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if got, want := b.String(), html.EscapeString(s); got != want {
			t.Errorf("text(%q) wrote %q, want %q", s, got, want)
		}
	})
}
