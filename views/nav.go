package views

import (
	"context"
	"strings"
	"sync"

	"github.com/a-h/templ"
)

// The header's bar and account menu depend on the site's links and on
// which page is shown, nothing else, and every page renders them: they are
// rendered once for each and kept, as templ renders them. Their links'
// attributes were a good share of rendering a page.
var (
	bars     = rendered[barKey]{m: make(map[barKey]templ.Component)}
	accounts = rendered[Links]{m: make(map[Links]templ.Component)}
)

type barKey struct {
	links   Links
	current int
}

// bar is siteBar for the page at path.
func bar(links Links, path string) templ.Component {
	current := -1
	for i, l := range navLinks(links) {
		if isCurrent(path, l.Href) {
			current = i
			break
		}
	}
	return bars.get(barKey{links, current}, func() templ.Component { return siteBar(links, current) })
}

// accountMenu is siteAccountMenu.
func accountMenu(links Links) templ.Component {
	return accounts.get(links, func() templ.Component { return siteAccountMenu(links) })
}

// Prerender renders c into memory and returns its HTML as a component to
// keep and write as it is: templ's own rendering of c, escaped as templ
// escapes everything, so writing it shows exactly what c would. If c
// fails, which it does not into memory, Prerender returns c itself and
// false, for the page to meet the error when it renders c.
func Prerender(c templ.Component) (templ.Component, bool) {
	var html strings.Builder
	if err := c.Render(context.Background(), &html); err != nil {
		return c, false
	}
	return templ.Raw(html.String()), true
}

// maxRendered bounds each cache. A process has one set of links, and the
// bar seven renderings of it; only tests make more, so a full cache just
// starts over.
const maxRendered = 64

// rendered holds components rendered once, by key, as HTML.
type rendered[K comparable] struct {
	mu sync.RWMutex
	m  map[K]templ.Component
}

// get returns the HTML of the component build returns for k, rendered the
// first time k is asked for (Prerender).
func (r *rendered[K]) get(k K, build func() templ.Component) templ.Component {
	r.mu.RLock()
	c, ok := r.m[k]
	r.mu.RUnlock()
	if ok {
		return c
	}
	if c, ok = Prerender(build()); !ok {
		return c
	}
	r.mu.Lock()
	if len(r.m) >= maxRendered {
		clear(r.m)
	}
	r.m[k] = c
	r.mu.Unlock()
	return c
}
