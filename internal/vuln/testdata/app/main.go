// Command vulnapp is a fixture: it calls vulnlib.Parse (vulnerable and
// reachable) and never calls vulnlib.Render (vulnerable, same package, not
// reachable).
package main

import (
	"fmt"

	"example.com/vulnlib"
)

func main() {
	fmt.Println(vulnlib.Parse("x"))
}
