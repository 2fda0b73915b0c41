#!/usr/bin/env python3
"""An independent Pingback 1.0 sender, for receiver's TestPythonPeerPingback.

It calls pingback.ping(source, target) (and system.listMethods) at the
XML-RPC endpoint given, with nothing but Python's standard xmlrpc.client,
so that our receiver is checked against an XML-RPC client nobody in this
project wrote. It prints one JSON line per call:

  {"ok": "<the answer string>"}
  {"fault": <faultCode>, "message": "<faultString>"}
  {"protocol_error": <HTTP status>}

Usage: pingback_client.py ENDPOINT listMethods
       pingback_client.py ENDPOINT ping SOURCE TARGET [SOURCE TARGET ...]
"""

import json
import sys
import xmlrpc.client


def main():
    endpoint, what = sys.argv[1], sys.argv[2]
    proxy = xmlrpc.client.ServerProxy(endpoint)
    if what == "listMethods":
        print(json.dumps({"ok": proxy.system.listMethods()}))
        return
    args = sys.argv[3:]
    for source, target in zip(args[0::2], args[1::2]):
        try:
            print(json.dumps({"ok": proxy.pingback.ping(source, target)}))
        except xmlrpc.client.Fault as f:
            print(json.dumps({"fault": f.faultCode, "message": f.faultString}))
        except xmlrpc.client.ProtocolError as e:
            print(json.dumps({"protocol_error": e.errcode}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
