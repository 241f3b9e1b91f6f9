//go:build !race

package middleware

//lint:ignore U1000 used by the Linux-only RSS test
const raceEnabled = false
