#!/usr/bin/env python3
"""An independent weblogUpdates peer for linkback's tests.

Python's xmlrpc.server is a real XML-RPC implementation nobody on this
project wrote. It listens on 127.0.0.1 on a free port, prints "PORT n" on
its first line of output, and serves until stdin closes (the test's
process ends), so it never outlives the test.

Modes (argv[1]):
  both       weblogUpdates.extendedPing and weblogUpdates.ping
  ping-only  only weblogUpdates.ping: extendedPing gets Python's own fault
             for an unknown method (code 1, "... is not supported")
  refuse     both methods answer flerror true
Each answer's message echoes the arguments, so the test can check them.
"""
import sys
import threading
from xmlrpc.server import SimpleXMLRPCServer


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "both"
    server = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=False)
    refuse = mode == "refuse"

    def answer(method, args):
        text = method + "(" + "|".join(args) + ")"
        if refuse:
            return {"flerror": True, "message": "refused " + text}
        return {"flerror": False, "message": "Thanks for the ping: " + text}

    def ping(name, home):
        return answer("ping", [name, home])

    def extended_ping(name, home, feed, *rest):
        return answer("extendedPing", [name, home, feed] + list(rest))

    server.register_function(ping, "weblogUpdates.ping")
    if mode != "ping-only":
        server.register_function(extended_ping, "weblogUpdates.extendedPing")

    print("PORT %d" % server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # returns when the test closes our stdin or exits
    server.shutdown()


if __name__ == "__main__":
    main()
