package serve

// ParseNotifySocket exposes parseNotifySocket to the external tests.
var ParseNotifySocket = parseNotifySocket
