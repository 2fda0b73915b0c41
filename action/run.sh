#!/usr/bin/env bash
# Runs hugo-pingback commands for the GitHub Action (action.yml).
#
# Environment:
#   INPUT_COMMAND  one command or a sequence: "build send", "inject,send"
#                  (build, inject, send, status)
#   INPUT_ARGS     extra flags for every command, split like a shell's words
#                  (quotes group, nothing is expanded or run)
#   INPUT_SITE     the Hugo site directory (default .)
#   HUGO_PINGBACK_BIN  the binary (default: hugo-pingback on PATH, put there by install.sh)
#   GITHUB_STEP_SUMMARY, GITHUB_OUTPUT  send appends its Markdown report and
#                  counts (notified, failed, deferred, ...) to them
#
# Written for bash 3.2 too (macOS's /bin/bash).
#
# Stops at the first command that fails, with its exit status (send exits 3
# under --strict when a notification failed for good).
set -euo pipefail

bin="${HUGO_PINGBACK_BIN:-hugo-pingback}"
site="${INPUT_SITE:-.}"

die() {
	echo "::error title=hugo-pingback::$*" >&2
	exit 1
}

# Tell the cache-save step there is a ledger directory to keep, however the
# run ends (a --strict failure included). action.yml checks for it in a
# step of its own too, for a job cancelled before this trap ran.
ledger_dir="$site/.hugo-pingback"
trap 'if [[ -d "$ledger_dir" ]]; then echo "ledger-dir=true" >>"${GITHUB_OUTPUT:-/dev/null}"; fi' EXIT

# A cancelled job signals this shell: the signal is passed on to the
# command running, which records what it sent and stops, and the shell
# waits for it, so the ledger the next step saves is never mid-write.
child=0
signalled=""
forward() {
	signalled="$1"
	if ((child > 0)); then
		kill -s "$1" "$child" 2>/dev/null || true
	fi
}
trap 'forward INT' INT
trap 'forward TERM' TERM

# stop ends the step after a signal: with the command's status, else as a
# shell killed by it would.
stop() {
	local code="$1"
	if ((code == 0)); then
		code=130
		[[ "$signalled" == TERM ]] && code=143
	fi
	echo "::error title=hugo-pingback::stopped by SIG$signalled" >&2
	exit "$code"
}

read -r -a commands <<<"${INPUT_COMMAND//,/ }"
((${#commands[@]} > 0)) || die "input command is empty (build, inject, send, status, or a sequence such as 'build send')"
for c in "${commands[@]}"; do
	case "$c" in
	build | inject | send | status) ;;
	*) die "unknown command '$c' in input command '$INPUT_COMMAND' (build, inject, send, status)" ;;
	esac
done

# Split the args like a shell would, without evaluating them: xargs honours
# quotes and backslashes and runs printf, never the text.
args=()
if [[ -n "${INPUT_ARGS:-}" && -n "${INPUT_ARGS//[[:space:]]/}" ]]; then
	words="$(xargs printf '%s\n' <<<"$INPUT_ARGS")" || die "cannot split input args: $INPUT_ARGS"
	while IFS= read -r w; do
		args+=("$w")
	done <<<"$words"
fi

for c in "${commands[@]}"; do
	[[ -z "$signalled" ]] || stop 0 # not the next command of a cancelled job
	cmd=("$bin" "$c" --site "$site" ${args[@]+"${args[@]}"})
	if [[ "$c" == send ]]; then
		[[ -n "${GITHUB_STEP_SUMMARY:-}" ]] && cmd+=(--summary "$GITHUB_STEP_SUMMARY")
		[[ -n "${GITHUB_OUTPUT:-}" ]] && cmd+=(--outputs "$GITHUB_OUTPUT")
	fi
	echo "::group::hugo-pingback $c"
	echo "${cmd[*]}"
	status=0
	"${cmd[@]}" &
	child=$!
	wait "$child" || status=$?
	# A trapped signal ends wait early (status 128+n): wait again until the
	# command is done and its own status is in. A command that died of a
	# signal gives 128+n every time, and is gone.
	while ((status > 128)) && [[ -n "$signalled" ]]; do
		prev=$status
		status=0
		wait "$child" || status=$?
		if ((status == prev)) && ! kill -0 "$child" 2>/dev/null; then
			break
		fi
	done
	child=0
	echo "::endgroup::"
	[[ -z "$signalled" ]] || stop "$status"
	if ((status != 0)); then
		if [[ -n "${GITHUB_STEP_SUMMARY:-}" && ("$c" != send || $status -ne 3) ]]; then
			# send --strict (3) wrote its report; any other failure has none.
			printf '### hugo-pingback %s failed (exit %d)\n\nSee the step log.\n\n' "$c" "$status" >>"$GITHUB_STEP_SUMMARY"
		fi
		echo "::error title=hugo-pingback::hugo-pingback $c exited with status $status" >&2
		exit "$status"
	fi
done
