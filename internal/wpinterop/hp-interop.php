<?php
/**
 * Plugin Name: hugo-pingback interop scaffolding
 * Description: Test scaffolding of internal/wpinterop/run.sh, loaded as a must-use plugin from the
 * test's own directory (WPMU_PLUGIN_DIR in /etc/wordpress/config-127.0.0.1.php). Not part of
 * hugo-pingback, and never needed by a WordPress on a public address with ports 80 or 443.
 *
 * It changes two things, both for loopback URLs on the test's ports only, and observes two more:
 *
 * 1. http_allowed_safe_ports: wp_safe_remote_head/get (pingback discovery of a linked page, and
 *    the fetch of a pingback's source) refuse every port but 80, 443 and 8080, and the port of
 *    WordPress's own home URL (wp_http_validate_url in wp-includes/http.php). The test's site and
 *    receiver listen on other loopback ports, so those are added.
 * 2. http_request_host_is_external: the same function refuses 127/8, 10/8, 172.16/12 and
 *    192.168/16 unless the host is WordPress's own home host. The test runs everything on
 *    127.0.0.1, WordPress's own host, so this filter is not reached; it is there so that the
 *    script also works with the site on another loopback address (127.0.0.2).
 * 3. xmlrpc_pingback_error (observed, priority 5): WordPress rewrites every pingback fault but 48
 *    to fault 0 with an empty string (xmlrpc_pingback_error in wp-includes/comment.php, priority
 *    10). The real code and message are logged first, so a failed `send` can be explained.
 * 4. http_api_debug (observed): every HTTP request WordPress makes, with its answer, is logged.
 *
 * The log is HP_INTEROP_LOG, one JSON object a line.
 *
 * One switch makes this WordPress a slow source for one scenario of the script: while the file
 * HP_INTEROP_SLOW_FILE exists and holds a number of seconds, front-end pages requested by
 * hugo-pingback (its User-Agent) are answered that much later, as a busy shared host answers.
 */

defined( 'ABSPATH' ) || exit;

function hp_interop_log( $what, $data ) {
	if ( ! defined( 'HP_INTEROP_LOG' ) ) {
		return;
	}
	$data['what'] = $what;
	$data['time'] = gmdate( 'c' );
	file_put_contents( HP_INTEROP_LOG, wp_json_encode( $data, JSON_UNESCAPED_SLASHES ) . "\n", FILE_APPEND | LOCK_EX );
}

function hp_interop_loopback( $host ) {
	return 'localhost' === $host || 1 === preg_match( '/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/', $host );
}

function hp_interop_ports() {
	return defined( 'HP_INTEROP_PORTS' ) ? array_map( 'intval', explode( ',', HP_INTEROP_PORTS ) ) : array();
}

add_filter(
	'http_allowed_safe_ports',
	function ( $ports, $host, $url ) {
		if ( hp_interop_loopback( $host ) ) {
			$ports = array_merge( (array) $ports, hp_interop_ports() );
		}
		return $ports;
	},
	10,
	3
);

add_filter(
	'http_request_host_is_external',
	function ( $external, $host, $url ) {
		$port = (int) wp_parse_url( $url, PHP_URL_PORT );
		return $external || ( hp_interop_loopback( $host ) && in_array( $port, hp_interop_ports(), true ) );
	},
	10,
	3
);

add_filter(
	'xmlrpc_pingback_error',
	function ( $error ) {
		hp_interop_log( 'pingback_fault', array( 'code' => $error->code, 'message' => $error->message ) );
		return $error;
	},
	5
);

add_action(
	'http_api_debug',
	function ( $response, $context, $class, $args, $url ) {
		$entry = array(
			'method' => isset( $args['method'] ) ? $args['method'] : '',
			'url'    => $url,
			'request_headers' => isset( $args['headers'] ) ? $args['headers'] : array(),
			'user_agent' => isset( $args['user-agent'] ) ? $args['user-agent'] : '',
		);
		if ( is_wp_error( $response ) ) {
			$entry['error'] = $response->get_error_message();
		} else {
			$entry['status']  = wp_remote_retrieve_response_code( $response );
			$entry['headers'] = wp_remote_retrieve_headers( $response )->getAll();
			$entry['body']    = substr( wp_remote_retrieve_body( $response ), 0, 2000 );
		}
		if ( isset( $args['body'] ) && is_string( $args['body'] ) ) {
			$entry['request_body'] = substr( $args['body'], 0, 2000 );
		}
		hp_interop_log( 'http', $entry );
	},
	10,
	5
);

add_action(
	'template_redirect',
	function () {
		if ( ! defined( 'HP_INTEROP_SLOW_FILE' ) || ! is_readable( HP_INTEROP_SLOW_FILE ) ) {
			return;
		}
		$ua = isset( $_SERVER['HTTP_USER_AGENT'] ) ? $_SERVER['HTTP_USER_AGENT'] : '';
		if ( false === strpos( $ua, 'hugo-pingback' ) ) {
			return;
		}
		$secs = (float) trim( file_get_contents( HP_INTEROP_SLOW_FILE ) );
		hp_interop_log( 'slow_source', array( 'seconds' => $secs, 'uri' => $_SERVER['REQUEST_URI'] ) );
		usleep( (int) ( $secs * 1e6 ) );
	}
);
