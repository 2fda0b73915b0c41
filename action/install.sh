#!/usr/bin/env bash
# Installs hugo-pingback for the GitHub Action (action.yml): the release
# archive for the runner's OS and arch, verified against the release's
# checksums.txt and kept in the tool cache, or `go install` when asked.
# Prints nothing but progress; writes `bin` and `version` to $GITHUB_OUTPUT
# and the binary's directory to $GITHUB_PATH.
#
# Environment:
#   INPUT_VERSION   vX.Y.Z, X.Y.Z, vX or vX.Y (the newest release with that prefix), "latest"
#                   or empty (the action's own tag, else latest)
#   INPUT_INSTALL   release (default) or go
#   ACTION_REF      github.action_ref: the tag or branch the action was used at
#   HUGO_PINGBACK_BIN          a local binary: nothing is installed
#   HUGO_PINGBACK_RELEASE_URL  where releases live (default GitHub's), for tests and mirrors
#   HUGO_PINGBACK_GIT_URL      the repository whose tags name the releases (default GitHub's)
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, RUNNER_TOOL_CACHE, GITHUB_OUTPUT, GITHUB_PATH
set -euo pipefail

readonly repo_url="https://github.com/hugo-pingback/hugo-pingback/releases"
readonly module="github.com/hugo-pingback/hugo-pingback/cmd/hugo-pingback"
release_url="${HUGO_PINGBACK_RELEASE_URL:-$repo_url}"
release_url="${release_url%/}"
git_url="${HUGO_PINGBACK_GIT_URL:-https://github.com/hugo-pingback/hugo-pingback.git}"

die() {
	echo "::error title=hugo-pingback install::$*" >&2
	exit 1
}

output() { echo "$1=$2" >>"${GITHUB_OUTPUT:-/dev/null}"; }

# A local binary (self-built, tests) skips the install.
if [[ -n "${HUGO_PINGBACK_BIN:-}" ]]; then
	[[ -f "$HUGO_PINGBACK_BIN" && -x "$HUGO_PINGBACK_BIN" ]] || die "HUGO_PINGBACK_BIN=$HUGO_PINGBACK_BIN is not an executable file"
	echo "using HUGO_PINGBACK_BIN=$HUGO_PINGBACK_BIN"
	output bin "$HUGO_PINGBACK_BIN"
	output version "$("$HUGO_PINGBACK_BIN" version --json | sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p')"
	exit 0
fi

# fetch URL FILE downloads URL to FILE, failing on any HTTP error.
fetch() {
	curl --fail --silent --show-error --location --retry 3 --retry-connrefused --connect-timeout 20 --max-time 300 -o "$2" "$1" ||
		die "download $1 failed"
}

# latest_version prints the tag of the newest release, from where
# RELEASES/latest redirects (.../tag/vX.Y.Z): no API call, no token.
latest_version() {
	local url
	url="$(curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 --max-time 60 -o /dev/null -w '%{url_effective}' "$release_url/latest")" ||
		die "cannot find the latest release at $release_url/latest"
	[[ "$url" == */tag/v* ]] || die "cannot find the latest release: $release_url/latest led to $url"
	echo "${url##*/tag/}"
}

# newest_with_prefix prints the newest published release vX.Y.Z that
# starts with the prefix given (v1 or v1.2, then "."): the repository's tags
# (git ls-remote: no API call, no token, no rate limit), newest first, less
# pre-releases and the moving major tag (v1), and of those the first whose
# checksums.txt is there (a tag is pushed before its release is published).
newest_with_prefix() {
	local prefix="$1" tags tag tried=0
	tags="$(git ls-remote --tags --refs "$git_url" "refs/tags/$prefix.*" 2>&1)" ||
		die "cannot list the tags of $git_url: $tags"
	for tag in $(printf '%s\n' "$tags" | sed -n 's|^[0-9a-f]*[[:space:]]*refs/tags/\(v[0-9]*\.[0-9]*\.[0-9]*\)$|\1|p' |
		grep "^${prefix//./\\.}\." | sort -t. -k1.2,1nr -k2,2nr -k3,3nr); do
		if curl --fail --silent --location --retry 3 --connect-timeout 20 --max-time 60 -o /dev/null "$release_url/download/$tag/checksums.txt"; then
			echo "$tag"
			return
		fi
		echo "$tag: no published release yet" >&2
		tried=$((tried + 1))
		((tried < 5)) || break
	done
	die "no published release $prefix.* among the tags of $git_url"
}

# The version: the input, else the action's own tag when it names releases
# (uses: hugo-pingback/hugo-pingback@v1.2.3, or @v1 for the newest v1.x.y),
# else the latest release.
version="${INPUT_VERSION:-}"
if [[ -z "$version" ]]; then
	if [[ "${ACTION_REF:-}" =~ ^v[0-9]+(\.[0-9]+){0,2}$ ]]; then
		version="$ACTION_REF"
	else
		version=latest
	fi
fi
if [[ "$version" != latest && "$version" != v* ]]; then
	version="v$version"
fi

install="${INPUT_INSTALL:-release}"
case "$install" in
go)
	command -v go >/dev/null || die "install: go needs Go on the runner (actions/setup-go)"
	gobin="${RUNNER_TEMP:?}/hugo-pingback-go/bin"
	mkdir -p "$gobin"
	echo "go install $module@$version"
	GOBIN="$gobin" go install "$module@$version" || die "go install $module@$version failed"
	bin="$gobin/hugo-pingback"
	[[ -x "$bin" ]] || bin="$gobin/hugo-pingback.exe"
	echo "$gobin" >>"${GITHUB_PATH:?}"
	output bin "$bin"
	# The version go resolved (a prefix such as v1 names the newest v1.x.y).
	output version "$("$bin" version --json | sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p')"
	exit 0
	;;
release) ;;
*) die "install: unknown method '$install' (release or go)" ;;
esac

[[ "$version" == latest ]] && version="$(latest_version)"
if [[ "$version" =~ ^v[0-9]+(\.[0-9]+)?$ ]]; then
	prefix="$version"
	version="$(newest_with_prefix "$prefix")"
	echo "newest $prefix release: $version"
fi
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || die "version '$version' is not a release version (vX.Y.Z)"

case "${RUNNER_OS:?}" in
Linux) os=linux ;;
macOS) os=darwin ;;
Windows) os=windows ;;
*) die "no release binary for RUNNER_OS=$RUNNER_OS; use install: go" ;;
esac
case "${RUNNER_ARCH:?}" in
X64) arch=amd64 ;;
ARM64) arch=arm64 ;;
*) die "no release binary for RUNNER_ARCH=$RUNNER_ARCH; use install: go" ;;
esac
ext=tar.gz exe=""
if [[ "$os" == windows ]]; then
	ext=zip exe=.exe
fi
archive="hugo-pingback_${version#v}_${os}_${arch}.${ext}"

# The tool cache outlives a job on self-hosted runners: a complete install
# there is used as is.
dir="${RUNNER_TOOL_CACHE:?}/hugo-pingback/${version#v}/$arch"
bin="$dir/hugo-pingback$exe"
if [[ -f "$dir/.complete" && -x "$bin" ]]; then
	echo "hugo-pingback $version found in the tool cache ($dir)"
else
	tmp="$(mktemp -d "${RUNNER_TEMP:?}/hugo-pingback.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	echo "downloading $release_url/download/$version/$archive"
	fetch "$release_url/download/$version/checksums.txt" "$tmp/checksums.txt"
	fetch "$release_url/download/$version/$archive" "$tmp/$archive"

	want="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/checksums.txt")"
	[[ -n "$want" ]] || die "checksums.txt of $version has no line for $archive"
	if command -v sha256sum >/dev/null; then
		got="$(sha256sum "$tmp/$archive" | awk '{ print $1 }')"
	else
		got="$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')"
	fi
	[[ "$got" == "$want" ]] || die "checksum mismatch for $archive: checksums.txt says $want, the download is $got; it is corrupt or was tampered with, nothing was installed"
	echo "sha256 verified: $got"

	rm -rf "$dir"
	mkdir -p "$dir"
	if [[ "$ext" == zip ]]; then
		unzip -q -o "$tmp/$archive" -d "$dir"
	else
		tar -xzf "$tmp/$archive" -C "$dir"
	fi
	[[ -f "$bin" ]] || die "$archive holds no hugo-pingback$exe"
	chmod +x "$bin"
	touch "$dir/.complete"
fi

echo "$dir" >>"${GITHUB_PATH:?}"
output bin "$bin"
output version "$version"
"$bin" version
