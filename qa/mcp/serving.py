"""How the MCP server is served: over stdio (a desktop assistant starts `python -m qa mcp` as its
subprocess) or over streamable HTTP at http://HOST:PORT/mcp, bound to 127.0.0.1 unless told
otherwise, with the protocol's DNS-rebinding protection (Host and Origin checked: a web page cannot
reach the server through a browser) and, when QA_API_KEY is set, the key required as a bearer token."""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..web.hardening import key_matches

LOOPBACK = "127.0.0.1"
PATH = "/mcp"
# The Host and Origin values every server accepts: its own machine's (as the SDK's own default).
LOOPBACK_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
LOOPBACK_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")


def address(text: str) -> tuple[str, int]:
    """'8765', ':8765', '0.0.0.0:8765' or '[::1]:8765' -> (host, port); the host is 127.0.0.1 unless given."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or LOOPBACK
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not [HOST:]PORT")
    return host, int(port)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Whatever is written to stdout meanwhile goes to stderr: over stdio, stdout is the protocol's
    channel, and a line from a library while the engine is built would break it."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def stdio(server: MCPServer) -> None:
    # (an assistant ends it by closing stdin; Ctrl-C in a terminal ends it too, without a traceback)
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(server.run_stdio_async)


def transport_security(allowed_hosts: Sequence[str] = (), allowed_origins: Sequence[str] = ()
                       ) -> TransportSecuritySettings:
    """Host and Origin checked against this machine's names and the ones configured
    (QA_MCP_ALLOWED_HOSTS, QA_MCP_ALLOWED_ORIGINS): a wrong Host is a 421, a wrong Origin a 403."""
    return TransportSecuritySettings(enable_dns_rebinding_protection=True,
                                     allowed_hosts=[*LOOPBACK_HOSTS, *allowed_hosts],
                                     allowed_origins=[*LOOPBACK_ORIGINS, *allowed_origins])


class RequireKey:
    """Every HTTP request needs `Authorization: Bearer <key>` (compared in constant time), else a 401
    in the service's error shape."""

    def __init__(self, app: ASGIApp, key: str):
        self.app, self.key = app, key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            if not key_matches(authorization, self.key):
                response = JSONResponse(
                    {"error": {"code": "invalid_api_key",
                               "message": "send the service's API key as 'Authorization: Bearer <key>'"}},
                    status_code=401, headers={"WWW-Authenticate": 'Bearer realm="qa"'})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def http_app(server: MCPServer, host: str, api_key: str | None = None, allowed_hosts: Sequence[str] = (),
             allowed_origins: Sequence[str] = ()) -> ASGIApp:
    app = server.streamable_http_app(streamable_http_path=PATH, host=host,
                                     transport_security=transport_security(allowed_hosts, allowed_origins))
    return RequireKey(app, api_key) if api_key else app


def http(server: MCPServer, host: str, port: int, api_key: str | None = None,
         allowed_hosts: Sequence[str] = (), allowed_origins: Sequence[str] = (), log_level: str = "warning"
         ) -> None:
    import uvicorn

    app = http_app(server, host, api_key, allowed_hosts, allowed_origins)
    where = f"[{host}]" if ":" in host else host
    print(f"MCP over streamable HTTP at http://{where}:{port}{PATH}"
          f"{' (bearer key required)' if api_key else ''}", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on")
    anyio.run(uvicorn.Server(config).serve)
