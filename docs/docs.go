// Package docs holds the CI recipes that the README shows verbatim and that
// `hugo-pingback init` writes into a site: GitHub Actions workflows under
// ci/github and the GitLab CI file under ci/gitlab. A test keeps the README
// and these files identical, and CI lints the workflows with actionlint.
//
// It owns only their text; it runs and reads nothing.
package docs

import "embed"

// CI is the recipes: ci/github/*.yml and ci/gitlab/gitlab-ci.yml.
//
//go:embed ci
var CI embed.FS
