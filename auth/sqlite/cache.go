package sqlite

import "sync"

// cache is a bounded map safe for concurrent use. When full, adding an
// entry drops another at random (Go's map iteration order), which costs
// nothing to track and suits entries read again from SQLite on a miss.
type cache[K comparable, V any] struct {
	mu  sync.RWMutex
	max int
	m   map[K]V
}

func newCache[K comparable, V any](max int) *cache[K, V] {
	return &cache[K, V]{max: max, m: make(map[K]V)}
}

func (c *cache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *cache[K, V]) put(k K, v V) {
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

func (c *cache[K, V]) delete(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// deleteIf drops every entry for which drop is true.
func (c *cache[K, V]) deleteIf(drop func(K, V) bool) {
	c.mu.Lock()
	for k, v := range c.m {
		if drop(k, v) {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}
