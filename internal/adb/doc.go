// Package adb forwards a port of the development machine to Android
// devices with "adb reverse", so that a phone on USB opens
// http://localhost:PORT: a secure context (service workers, Secure
// cookies, camera) without any certificate, and the page is debuggable
// from chrome://inspect on the desktop.
//
//	rev, err := adb.Reverse(ctx, adb.Options{Port: 8080})
//	// rev.Devices says what happened on each device
//	defer rev.Remove(context.Background())
//
// Reverse runs "adb devices", then for each device in the "device" state
// "adb -s SERIAL reverse --list" and "adb -s SERIAL reverse tcp:PORT
// tcp:PORT". A device where tcp:PORT is already reversed by another
// process is left alone (and its reverse is not removed on exit).
// Remove undoes only the reverses Reverse made.
package adb
