// Package static holds authlab's stylesheet and images, embedded in the
// binary.
package static

import "embed"

// FS is the embedded static files, served under /static/.
//
//go:embed *.css *.svg
var FS embed.FS
