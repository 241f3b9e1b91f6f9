package adb_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/golocal/golocal/internal/adb"
)

// Reverse the dev server's port on every attached phone, say what
// happened per device, and undo it on exit. Without adb or a device the
// caller goes on without it.
func Example() {
	defer os.Setenv("PATH", os.Getenv("PATH"))
	os.Setenv("PATH", "") // this example runs where no adb is found
	rev, err := adb.Reverse(context.Background(), adb.Options{Port: 8080})
	switch {
	case errors.Is(err, adb.ErrNoADB), errors.Is(err, adb.ErrNoDevice):
		fmt.Println("android: skipped:", errors.Is(err, adb.ErrNoADB))
		return
	case err != nil:
		fmt.Println("android:", err)
		return
	}
	defer rev.Remove(context.Background())
	for _, d := range rev.Devices {
		fmt.Println(d.Serial, d.Reversed, d.Note)
	}
	// Output: android: skipped: true
}
