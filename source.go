package main

import "embed"

// source is authlab's own Go code, embedded so that the /learn pages quote
// the functions this binary runs rather than a copy that could drift.
// An embed directive cannot reach into parent folders, so it lives at the root.
//
//go:embed auth/*.go auth/sqlite/*.go
var source embed.FS
