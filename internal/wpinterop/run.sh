#!/usr/bin/env bash
# internal/wpinterop/run.sh: hugo-pingback against a real WordPress, both ways, on loopback.
#
# NOT RUN IN CI, and not by `go test`: it installs Debian's WordPress 6.1, MariaDB and PHP (about
# 150 MB of packages), starts a database, PHP's web server and hugo-pingback, and takes about two
# minutes. Run it by hand, as root, on Debian 12 (bookworm) with Go, from anywhere in the repo:
#
#     bash internal/wpinterop/run.sh          # install what is missing, run every scenario, clean up
#     KEEP=1 bash internal/wpinterop/run.sh   # leave WordPress, the site and the receiver running
#     bash internal/wpinterop/run.sh down     # stop what a KEEP=1 run left, remove its config file
#
# Every server listens on 127.0.0.1 only: WordPress on $WP_PORT (default 18080), the built
# example-site on $SITE_PORT (18081, python3 -m http.server), `hugo-pingback serve` on $RX_PORT
# (18082). WordPress is kept from reaching any other host (WP_HTTP_BLOCK_EXTERNAL). Everything
# lives in $WORK (default /tmp/hp-wpinterop); README.md beside this file says what is changed on
# the machine and why, and what each scenario proves.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${WORK:-/tmp/hp-wpinterop}
WP_PORT=${WP_PORT:-18080}
SITE_PORT=${SITE_PORT:-18081}
RX_PORT=${RX_PORT:-18082}
WP=http://127.0.0.1:$WP_PORT
SITE=http://127.0.0.1:$SITE_PORT
RX=http://127.0.0.1:$RX_PORT
WP_USER="admin"
WP_PASS=hp-interop-admin
DB_PASS=hp-interop-db
# Debian's /usr/share/wordpress/wp-config.php reads /etc/wordpress/config-HOST.php, HOST being
# the request's Host without its port.
WP_CONFIG=/etc/wordpress/config-127.0.0.1.php
MARK="// Written by hugo-pingback internal/wpinterop/run.sh"
PACKAGES=(wordpress wordpress-theme-twentytwentythree wordpress-theme-twentytwentyone
	php-cli php-mysql php-xml php-curl php-mbstring mariadb-server mariadb-client curl python3)

HP=$WORK/hugo-pingback
WPPY=(python3 "$HERE/wp.py" "$WP")
PASSED=0
FAILED=0

say() { printf '\n=== %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'PASS: %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL: %s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# ---- start and stop (by the PIDs this script recorded, nothing else)

start() { # NAME CMD...: run CMD in the background, its PID in $WORK/NAME.pid, output in NAME.log
	local name=$1
	shift
	setsid "$@" >"$WORK/$name.log" 2>&1 &
	echo $! >"$WORK/$name.pid"
}

stop() { # NAME...: the process group start made (php -S forks its workers into it)
	local name pid
	for name in "$@"; do
		[ -f "$WORK/$name.pid" ] || continue
		pid=$(cat "$WORK/$name.pid")
		kill -- "-$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
		rm -f "$WORK/$name.pid"
	done
}

wait_for() { # WHAT CMD...: retry CMD for up to 20 s
	local what=$1
	shift
	for _ in $(seq 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	die "$what did not come up (see $WORK/*.log)"
}

down() {
	stop serve site php capture
	if [ -f "$WORK/mysql.pid" ]; then
		local pid
		pid=$(cat "$WORK/mysql.pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	if [ -f "$WP_CONFIG" ] && grep -qF "$MARK" "$WP_CONFIG"; then
		rm -f "$WP_CONFIG"
	fi
}

# ---- set-up

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	command -v tcpdump >/dev/null || missing+=(tcpdump)
	[ ${#missing[@]} -eq 0 ] && return
	say "installing ${missing[*]}"
	# Debian's wordpress package pulls in apache2; the services its packages would start (apache2
	# on port 80 of every interface, the system MariaDB) are kept stopped with the standard
	# policy-rc.d switch while installing. This script starts its own, on loopback.
	local policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
		{ [ -n "$policy" ] && rm -f "$policy"; die "apt-get install failed: $WORK/apt.log"; }
	[ -n "$policy" ] && rm -f "$policy"
	return 0
}

start_mariadb() {
	say "MariaDB: a private instance in $WORK/mysql, no TCP (socket $WORK/mysql.sock)"
	mariadb-install-db --no-defaults --datadir="$WORK/mysql" --user="$(id -un)" --auth-root-authentication-method=socket \
		--skip-test-db >"$WORK/mysql-install.log" 2>&1
	setsid mariadbd --no-defaults --user="$(id -un)" --datadir="$WORK/mysql" --socket="$WORK/mysql.sock" \
		--pid-file="$WORK/mysql.pid" --skip-networking --skip-log-bin --log-error="$WORK/mysql.log" >/dev/null 2>&1 &
	wait_for MariaDB test -S "$WORK/mysql.sock"
	sql -e "CREATE DATABASE hpwp; CREATE USER 'hpwp'@'localhost' IDENTIFIED BY '$DB_PASS';
		GRANT ALL ON hpwp.* TO 'hpwp'@'localhost';"
}

sql() { mariadb --no-defaults --socket="$WORK/mysql.sock" -uroot "$@"; }

start_wordpress() {
	say "WordPress $(dpkg-query -W -f='${Version}' wordpress) at $WP (php -S, 4 workers)"
	if [ -e "$WP_CONFIG" ] && ! grep -qF "$MARK" "$WP_CONFIG"; then
		die "$WP_CONFIG exists and was not written by this script: move it away first"
	fi
	mkdir -p "$WORK/mu-plugins"
	cp "$HERE/hp-interop.php" "$WORK/mu-plugins/"
	cat >"$WP_CONFIG" <<EOF
<?php
$MARK: a throw-away test WordPress on loopback.
// Removed by \`run.sh down\` (and at the end of a run without KEEP=1).
define('DB_NAME', 'hpwp');
define('DB_USER', 'hpwp');
define('DB_PASSWORD', '$DB_PASS');
define('DB_HOST', 'localhost:$WORK/mysql.sock');
define('WP_HOME', '$WP');
define('WP_SITEURL', '$WP');
// The scaffolding plugin (hp-interop.php), from the test's own directory.
define('WPMU_PLUGIN_DIR', '$WORK/mu-plugins');
// Pings run when the script asks (GET /wp-cron.php), not on a page view.
define('DISABLE_WP_CRON', true);
// No request leaves this machine: update checks, Ping-o-matic and the like are refused.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_ACCESSIBLE_HOSTS', '127.0.0.1,localhost');
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_DEBUG', true);
define('WP_DEBUG_LOG', '$WORK/wp-debug.log');
define('WP_DEBUG_DISPLAY', false);
// Read by hp-interop.php.
define('HP_INTEROP_PORTS', '$SITE_PORT,$RX_PORT');
define('HP_INTEROP_LOG', '$WORK/wp-interop.log');
define('HP_INTEROP_SLOW_FILE', '$WORK/slow-source');
\$table_prefix = 'wp_';
EOF
	(cd /usr/share/wordpress && PHP_CLI_SERVER_WORKERS=4 start php php -S "127.0.0.1:$WP_PORT" -t /usr/share/wordpress)
	wait_for WordPress curl -fsS -o /dev/null "$WP/wp-login.php"
	"${WPPY[@]}" install "hp interop" "$WP_USER" "$WP_PASS" admin@example.com
	# Ping-o-matic is WordPress's default update service: nothing to ping here.
	sql hpwp -e "UPDATE wp_options SET option_value='' WHERE option_name='ping_sites'"
}

theme() { # NAME: the active theme
	sql hpwp -e "UPDATE wp_options SET option_value='$1' WHERE option_name IN ('template','stylesheet')"
}

build_site() {
	(cd "$WORK/site" && "$HP" build --baseURL "$SITE/" --server "$RX" \
		--receiver "$RX/xmlrpc" --webmention "$RX/webmention" >"$WORK/build.log" 2>&1) ||
		die "build failed: $WORK/build.log"
}

start_site() {
	say "our side: hugo-pingback built from $REPO, example-site at $SITE, receiver at $RX"
	(cd "$REPO" && go build -o "$HP" ./cmd/hugo-pingback)
	cp -r "$REPO/example-site" "$WORK/site"
	rm -rf "$WORK/site/public" "$WORK/site/.hugo-pingback"
	# Two pages whose addresses are not ASCII.
	printf -- '---\ntitle: "Café crème"\ndate: 2026-11-30T10:00:00Z\n---\n\nA page whose address is not ASCII.\n' \
		>"$WORK/site/content/posts/café-crème.md"
	printf -- '---\ntitle: "Naïve"\ndate: 2026-11-29T10:00:00Z\n---\n\nAnother page whose address is not ASCII.\n' \
		>"$WORK/site/content/posts/naïve.md"
	# example-site's config names webmention.io's endpoints; --receiver and --webmention win.
	build_site
	start site python3 -m http.server "$SITE_PORT" --bind 127.0.0.1 --directory "$WORK/site/public"
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/token"
	chmod 600 "$WORK/token"
	(cd "$WORK/site" && start serve "$HP" serve --allow-private --listen "127.0.0.1:$RX_PORT" \
		--base-url "$SITE/" --public-url "$RX" --admin-token-file "$WORK/token" --data "$WORK/mentions.db")
	wait_for "the receiver" curl -fsS "$RX/healthz"
	wait_for "the site" curl -fsS -o /dev/null "$SITE/"
}

start_capture() {
	command -v tcpdump >/dev/null || return 0
	start capture tcpdump -i lo -s 0 -U -w "$WORK/capture.pcap" \
		"tcp port $WP_PORT or tcp port $SITE_PORT or tcp port $RX_PORT"
	sleep 1 # tcpdump has no ready signal; a missed first packet only shortens the capture
}

# ---- the scenarios

mentions_json() { "$HP" mentions list --json --server "$RX" --token-file "$WORK/token" --allow-private; }

run_cron() { # WordPress sends its pings from wp-cron; php -S runs it within this request
	: >"$WORK/wp-interop.log"
	curl -fsS -o /dev/null "$WP/wp-cron.php"
}

post() { # TITLE HTML -> sets POST_ID, POST_URL
	printf '%s' "$2" >"$WORK/post.html"
	read -r POST_ID POST_URL < <("${WPPY[@]}" new-post "$WP_USER" "$WP_PASS" "$1" "$WORK/post.html")
}

expect_mention() { # WHAT PROTOCOL SOURCE TARGET STATES [NAME [EXCERPT]]
	local what=$1
	shift
	if mentions_json | python3 "$HERE/expect.py" mention "$@" >"$WORK/expect.out"; then
		pass "$what"
	else
		fail "$what"
	fi
	sed 's/^/    /' "$WORK/expect.out"
}

forward() {
	say "1. WordPress (Twenty Twenty-Three) pings a page of our site"
	theme twentytwentythree
	post "Replying to the example blog" "<!-- wp:paragraph -->
<p>I read <a href=\"$SITE/posts/hello-world/\">Alex's hello world post</a> this morning and agree with every word of it.</p>
<!-- /wp:paragraph -->"
	FIRST_ID=$POST_ID FIRST_URL=$POST_URL
	run_cron
	expect_mention "WordPress's pingback is a pending mention with its title and excerpt" \
		pingback "$POST_URL" "$SITE/posts/hello-world/" pending \
		"Replying to the example blog – hp interop" "I read Alex’s hello world post this morning"
	"$HP" mentions approve 1 --server "$RX" --token-file "$WORK/token" --allow-private

	say "2. WordPress (Twenty Twenty-One, microformats-1 hentry) pings another page"
	theme twentytwentyone
	post "Classic theme reply" "<p>Some words first. Then <a href=\"$SITE/posts/second-post/\">the second post</a>, which is good.</p>"
	run_cron
	expect_mention "a host with an approved mention is approved at once; the name is the entry-title" \
		pingback "$POST_URL" "$SITE/posts/second-post/" approved "Classic theme reply" "Then the second post, which is good."
	theme twentytwentythree

	say "3. WordPress pings pages by addresses that are not ASCII (escaped, and raw), and with a query"
	post "Unicode links" "<p>Percent-encoded: <a href=\"$SITE/posts/caf%C3%A9-cr%C3%A8me/\">café crème</a> is a fine drink.</p>
<p>Raw: <a href=\"$SITE/posts/naïve/\">naïve</a> is a fine word.</p>
<p>From a newsletter: <a href=\"$SITE/about/?utm_source=newsletter\">the about page</a>, with its tracking query.</p>"
	run_cron
	expect_mention "escaped target" pingback "$POST_URL" "$SITE/posts/caf%C3%A9-cr%C3%A8me/" approved "" "café crème is a fine drink"
	expect_mention "raw target" pingback "$POST_URL" "$SITE/posts/naïve/" approved "" "naïve is a fine word"
	expect_mention "target with a query" pingback "$POST_URL" "$SITE/about/?utm_source=newsletter" approved "" "the about page"

	say "4. WordPress sends a Trackback (the editor's \"Send trackbacks to\" field)"
	# Its pingbacks are turned off for this one post (default_pingback_flag), or the pingback to
	# the same page would come first and the trackback would be answered "already registered".
	sql hpwp -e "UPDATE wp_options SET option_value='0' WHERE option_name='default_pingback_flag'"
	printf '%s' "<p>About <a href=\"$SITE/posts/quiet-post/\">the quiet post</a>, sent as a trackback.</p>" >"$WORK/post.html"
	read -r POST_ID POST_URL < <("${WPPY[@]}" new-post "$WP_USER" "$WP_PASS" "Trackback test" "$WORK/post.html" "$RX/trackback/posts/quiet-post/")
	sql hpwp -e "UPDATE wp_options SET option_value='1' WHERE option_name='default_pingback_flag'"
	run_cron
	expect_mention "WordPress's trackback is a mention" trackback "$POST_URL" "$SITE/posts/quiet-post/" approved "" "the quiet post"

	say "5. a slow WordPress: its post takes 4 s, WordPress hangs up after 3 s"
	post "Slow host" "<p>A slow host links to <a href=\"$SITE/posts/shortcodes/\">the shortcodes post</a>.</p>"
	local slow_id=$POST_ID slow_url=$POST_URL
	echo 4 >"$WORK/slow-source"
	run_cron
	rm -f "$WORK/slow-source"
	if grep -q 'timed out' "$WORK/wp-interop.log"; then pass "WordPress gave up waiting"; else fail "WordPress did not time out"; fi
	for _ in $(seq 50); do mentions_json | grep -qF "\"$slow_url\"" && break; sleep 0.2; done
	expect_mention "the pingback is kept all the same" pingback "$slow_url" "$SITE/posts/shortcodes/" approved "" "the shortcodes post"
	"${WPPY[@]}" edit-post "$WP_USER" "$WP_PASS" "$slow_id" "<p>Edited.</p>"
	run_cron
	if sql -N hpwp -e "SELECT pinged FROM wp_posts WHERE ID=$slow_id" | grep -qF "$SITE/posts/shortcodes/"; then
		pass "after an edit WordPress pings again, hears 48 and records the page as pinged"
	else
		fail "WordPress did not record the repeat as pinged"
	fi
}

reverse() {
	say "6. our send pings WordPress posts"
	(cd "$WORK/site" && "$HP" send --base-url "$SITE/" --baseline >"$WORK/send-baseline.log" 2>&1) ||
		die "send --baseline: $WORK/send-baseline.log"
	post "日本語の記事" "<p>A post whose address is not ASCII.</p>"
	local cjk_id=$POST_ID cjk_url=$POST_URL
	cat >"$WORK/site/content/posts/wp-reply.md" <<EOF
---
title: "A reply to a WordPress post"
date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
---

Over on a WordPress blog, [Replying to the example blog]($FIRST_URL)
says kind things about this site. This is the answer.

It also links to [a post with a Japanese title]($cjk_url), by the address WordPress gives it.
EOF
	build_site
	(cd "$WORK/site" && "$HP" send --base-url "$SITE/" --allow-private --verbose) | tee "$WORK/send.log"
	local id
	for id in "$FIRST_ID" "$cjk_id"; do
		if "${WPPY[@]}" wait-comment "$WP_USER" "$WP_PASS" "$id" "$SITE/posts/wp-reply/" 5 >"$WORK/comment.json"; then
			pass "WordPress recorded a pingback comment on post $id"
		else
			fail "no pingback comment on post $id"
		fi
		sed 's/^/    /' "$WORK/comment.json"
	done
}

display() {
	say "7. the mentions in the built site"
	stop serve # the store is the receiver's while it runs
	"$HP" mentions list --json --data "$WORK/mentions.db" >"$WORK/mentions.json"
	(cd "$WORK/site" && "$HP" mentions export --data "$WORK/mentions.db")
	build_site
	local page
	for page in posts/hello-world posts/second-post posts/café-crème posts/naïve about posts/quiet-post posts/shortcodes; do
		if grep -q '<section class="mentions"' "$WORK/site/public/$page/index.html"; then
			pass "$page/ shows its mention"
		else
			fail "$page/ shows no mention"
		fi
	done
	sed -n '/<section class="mentions"/,/<\/section>/p' "$WORK/site/public/posts/hello-world/index.html"
}

# ---- main

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and writes $WP_CONFIG)"
case $WORK in
*wpinterop*) ;;
*) die "WORK=$WORK: it is removed at every run, so its name must contain 'wpinterop'" ;;
esac
if [ "${1:-}" = down ]; then
	down
	exit 0
fi
mkdir -p "$WORK"
down # what an earlier KEEP=1 run left
rm -rf "$WORK"
mkdir -p "$WORK"
install_packages
[ "${KEEP:-}" = 1 ] || trap down EXIT
start_capture
start_mariadb
start_wordpress
start_site
forward
reverse
display

say "done: logs, the capture and the store are in $WORK"
cat <<EOF
  WordPress's side: $WORK/wp-interop.log (its HTTP requests, the real pingback faults)
  the receiver's log: $WORK/serve.log; the capture: $WORK/capture.pcap, e.g.
    tshark -r $WORK/capture.pcap -Y http.request -T fields -e tcp.stream -e http.request.method -e http.request.full_uri
    tshark -r $WORK/capture.pcap -qz follow,tcp,ascii,STREAM
EOF
[ "${KEEP:-}" = 1 ] && echo "  still running (KEEP=1): WordPress $WP (user $WP_USER, password $WP_PASS), site $SITE, receiver $RX; stop with: bash $0 down"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
