// Package tail keeps the last bytes of a child process's output, for error
// messages that show how a program ended: the dev runner shows them when
// the app crashes, the drain test when its server misbehaves.
//
// A [Buffer] is an io.Writer safe for concurrent use, so one can take a
// command's stdout and stderr at once; it may also copy everything to
// another writer (Tee) as it arrives:
//
//	out := tail.New(16<<10, os.Stderr)
//	cmd.Stdout, cmd.Stderr = out, out
//	if err := cmd.Run(); err != nil {
//		return fmt.Errorf("%v; last output:\n%s", err, out)
//	}
package tail
