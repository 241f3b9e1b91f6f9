package serve

// ParseNotifySocket exposes parseNotifySocket to the external tests.
var ParseNotifySocket = parseNotifySocket

// SetBeforeAccept makes Run call f at the start of every Accept of the
// main listener, so a test can hold the accept loop.
func SetBeforeAccept(o *Options, f func()) { o.beforeAccept = f }

// SetNoBacklogDrain makes Run close the listener without taking the
// connections queued in its backlog.
func SetNoBacklogDrain(o *Options) { o.noBacklogDrain = true }
