#!/usr/bin/env python3
"""An independent Pingback 1.0 receiver, for linkback's TestPythonPeer.

Written against the Pingback 1.0 specification with nothing but the Python
standard library (xmlrpc.server, urllib, html.parser), so that our Go client
is checked against an XML-RPC implementation nobody in this project wrote.

It listens on 127.0.0.1 on a free port, prints "PORT <n>" on stdout, and
exits when its stdin closes (so a test that dies takes it along).

It serves:
  GET  /post/<name>   a target page advertising the server in an X-Pingback
                      header (and in <link rel="pingback">)
  POST /xmlrpc        pingback.ping(sourceURI, targetURI), verified like a
                      real receiver:
                        32  the target is not one of our posts
                        16  the source cannot be fetched (no redirects followed,
                            like WordPress)
                        17  the source has no <a href> to the target
                        48  this pingback is already registered
                        a string on success
  GET  /registered    one "source target" line per registered pingback
"""

import html.parser
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer, Fault

POSTS = {"hello", "world"}
READ_LIMIT = 150 * 1024  # what WordPress reads of a source
FETCH_TIMEOUT = 5


class LinkFinder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            for name, value in attrs:
                if name == "href" and value is not None:
                    self.hrefs.append(value)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, "redirect not followed", headers, fp)


class Receiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.registered = []
        self.base = None  # "http://127.0.0.1:PORT", set once bound

    def ping(self, source, target):
        parsed = urllib.parse.urlsplit(target)
        own = urllib.parse.urlsplit(self.base)
        name = parsed.path[len("/post/"):] if parsed.path.startswith("/post/") else ""
        if parsed.netloc != own.netloc or name not in POSTS:
            raise Fault(32, "The specified target URI does not exist.")
        if source == target:
            raise Fault(0, "Source and target are the same.")
        with self.lock:
            if (source, target) in self.registered:
                raise Fault(48, "The pingback has already been registered.")
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(source, timeout=FETCH_TIMEOUT) as resp:
                body = resp.read(READ_LIMIT)
                charset = resp.headers.get_content_charset() or "utf-8"
        except Exception as e:  # noqa: BLE001 - any failure is fault 16
            raise Fault(16, "The source URI does not exist: %s" % e)
        finder = LinkFinder()
        finder.feed(body.decode(charset, errors="replace"))
        if target not in finder.hrefs:
            raise Fault(17, "The source URI does not contain a link to the target URI.")
        with self.lock:
            if (source, target) in self.registered:
                raise Fault(48, "The pingback has already been registered.")
            self.registered.append((source, target))
        return "Pingback from %s to %s registered. Keep the web talking! :-)" % (source, target)


RECEIVER = Receiver()


class Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/xmlrpc",)

    def do_GET(self):  # noqa: N802 - http.server naming
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/post/") and path[len("/post/"):] in POSTS:
            endpoint = RECEIVER.base + "/xmlrpc"
            body = (
                "<!DOCTYPE html><html><head><title>%s</title>"
                '<link rel="pingback" href="%s"></head>'
                "<body><p>A post.</p></body></html>" % (path, endpoint)
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("X-Pingback", endpoint)
        elif path == "/registered":
            with RECEIVER.lock:
                body = "".join("%s %s\n" % pair for pair in RECEIVER.registered).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        else:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - keep stderr quiet
        pass


def main():
    server = SimpleXMLRPCServer(("127.0.0.1", 0), requestHandler=Handler,
                                logRequests=False, allow_none=False)
    server.register_function(RECEIVER.ping, "pingback.ping")
    server.register_introspection_functions()
    port = server.server_address[1]
    RECEIVER.base = "http://127.0.0.1:%d" % port

    def watch_stdin():
        sys.stdin.read()
        server.shutdown()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print("PORT %d" % port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
