// Prints the Compose Specification's JSON schema, as the compose-go module (the library Docker
// Compose itself loads files with) embeds it, so e2e/src/compose.test.ts validates
// docker-compose.yml against the official schema of a pinned release, without a Docker engine.
package main

import (
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/schema"
)

func main() {
	if _, err := fmt.Fprint(os.Stdout, schema.Schema); err != nil {
		os.Exit(1)
	}
}
