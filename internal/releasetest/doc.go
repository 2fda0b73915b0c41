// Package releasetest tests what users install rather than compile: the
// binary built with the flags of .goreleaser.yaml (static, stamped with its
// version), the release contract (archive names, checksums.txt) that the
// GitHub Action and the Netlify plugin rely on, the Dockerfile's build line,
// and the Action's scripts (action/install.sh, action/run.sh) run with
// GitHub's environment files against a loopback release server.
//
// It builds the release binary once per test run and holds no code of the
// tool; it is never imported.
package releasetest
