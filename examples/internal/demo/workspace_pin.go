//go:build workspacepin

package demo

// This file is never built. It keeps github.com/ugorji/go in go.mod (go mod tidy reads files
// under every build tag) at a release that only forwards to the separate codec module.
// Without it, in the repository's workspace, adapters/gin's floor (gin v1.4.0, which needs
// ugorji/go v1.1.4, where the codec package still lived in the root module) and the current
// gin these examples use would both provide github.com/ugorji/go/codec: "ambiguous import".
import _ "github.com/ugorji/go"
