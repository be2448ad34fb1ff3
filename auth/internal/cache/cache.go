// Package cache is a bounded map safe for concurrent use, for values that
// can always be worked out again (read from the database, verified
// again) when they are not held.
package cache

import "sync"

// Map is a bounded map. When full, adding an entry drops another at random
// (Go's map iteration order), which costs nothing to track and suits
// entries that are worked out again on a miss.
type Map[K comparable, V any] struct {
	mu  sync.RWMutex
	max int
	m   map[K]V
}

// New returns a Map that holds at most max entries.
func New[K comparable, V any](max int) *Map[K, V] {
	return &Map[K, V]{max: max, m: make(map[K]V)}
}

// Get returns the value held for k.
func (c *Map[K, V]) Get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

// Put holds v for k.
func (c *Map[K, V]) Put(k K, v V) {
	c.mu.Lock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
	c.mu.Unlock()
}

// Delete drops k.
func (c *Map[K, V]) Delete(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// DeleteIf drops every entry for which drop is true.
func (c *Map[K, V]) DeleteIf(drop func(K, V) bool) {
	c.mu.Lock()
	for k, v := range c.m {
		if drop(k, v) {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}
