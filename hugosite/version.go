package hugosite

import "github.com/gohugoio/hugo/common/hugo"

// HugoVersion is the version of the embedded Hugo, "v0.165.0".
var HugoVersion = "v" + hugo.CurrentVersion.String()
