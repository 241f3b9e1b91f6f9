//go:build race

package middleware

// raceEnabled: the race detector multiplies memory use and slows every
// step, so memory figures are measured only without it.
const raceEnabled = true
