// Package app wires the orders service together: configuration (package
// config, profiles local/dev/staging/prod, ORDERS_* variables), the store
// (SQLite under data_dir by default, PostgreSQL when DATABASE_URL is set),
// sessions for flash messages, health checks (readiness includes the
// database ping, pool saturation and, after a failed write, whether writes
// work again), metrics, the admin listener and
// golocal's middleware stack around the web package's routes, served by
// serve.Run on the listener listen.Listen gives (PORT, or the socket
// `golocal dev` passes in LISTEN_FDS), with a graceful stop.
//
// config.go is the configuration (Config, Load); app.go assembles and runs
// the service (Run, Handler). main only calls Run; tests call Run with their
// own environment and stop it by cancelling the context.
package app
