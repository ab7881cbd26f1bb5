"""A stock WSGI upstream: Python's wsgiref.simple_server running an app that answers its environ as JSON.

    up = WsgiEnvironUpstream().start();  up.url;  up.port;  ...;  up.stop()
    environ = json.loads(response.body)   # every str value of the WSGI environ (HTTP_*, PATH_INFO, ...)

wsgiref turns every header name into `HTTP_` + name.upper() with '-' replaced by '_', exactly as CGI,
Rack and PHP do, and joins repeated variables with ','; so `X_Client_Cert_Verify` and
`X-Client-Cert-Verify` both land in HTTP_X_CLIENT_CERT_VERIFY. That is the point of using it unchanged.
"""

from __future__ import annotations

import json
import threading
from socketserver import ThreadingMixIn
from typing import Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


def environ_app(environ, start_response):
    body = json.dumps({k: v for k, v in environ.items() if isinstance(v, str)}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, fmt, *args):
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class WsgiEnvironUpstream:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.server: Optional[_ThreadingWSGIServer] = None
        self.thread: Optional[threading.Thread] = None

    def start(self) -> "WsgiEnvironUpstream":
        self.server = make_server(self.host, 0, environ_app, server_class=_ThreadingWSGIServer,
                                  handler_class=_QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
