package crawler

// SetBeforePublish sets the hook that runs before each manifest publish,
// for the external tests that hold a publish (publish_test.go).
func SetBeforePublish(c *Crawler, hook func()) { c.beforePublish = hook }
