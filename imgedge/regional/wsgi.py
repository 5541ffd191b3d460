"""The generator as a WSGI application, and a standard-library server for it.

For hosts that run web apps rather than Lambda handlers: the Lambda Web Adapter extension (which starts
this server and forwards each Function URL request to it over loopback HTTP), a container, any WSGI
server. The deployed stack does not use it: it runs the thin ``function_url`` handler, which starts
faster and ships smaller (measured in docs/deploy.md). Configuration as in ``settings``::

    IMGEDGE_BUCKET=my-bucket python -m imgedge.regional.wsgi      # port $AWS_LWA_PORT, $PORT or 8080
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Iterable
from urllib.parse import quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ..transport import Response

_REASONS = {200: "OK", 302: "Found", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 413: "Payload Too Large", 415: "Unsupported Media Type",
            422: "Unprocessable Entity", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable"}


def make_wsgi_app(app: Callable[..., Response]) -> Callable[..., Iterable[bytes]]:
    """A WSGI callable around ``app(method, path, headers, body)``."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw:
            path = raw
        else:  # PEP 3333: PATH_INFO is the decoded bytes as latin-1; encode again to the same key
            path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/-_.~")
            if environ.get("QUERY_STRING"):
                path += "?" + environ["QUERY_STRING"]
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        for key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        status, out, data = app(environ.get("REQUEST_METHOD", "GET"), path, headers, body)
        start_response(f"{status} {_REASONS.get(status, 'Status')}",
                       [*out.items(), ("Content-Length", str(len(data)))])
        return [data]

    return application


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


def main(argv: list[str] | None = None) -> int:
    import botocore.session

    from ..store import S3Store
    from ..store.s3 import client_config
    from .app import GeneratorApp
    from .settings import load_settings

    settings = load_settings(os.environ)
    store = S3Store(botocore.session.get_session().create_client("s3", config=client_config()), settings.bucket)
    application = make_wsgi_app(GeneratorApp(store, settings.config, max_inline_bytes=settings.max_inline_bytes))
    port = int(os.environ.get("AWS_LWA_PORT") or os.environ.get("PORT") or 8080)
    server = make_server("127.0.0.1", port, application, server_class=WSGIServer, handler_class=_QuietHandler)
    print(f"imgedge regional generator on http://127.0.0.1:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
