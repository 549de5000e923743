"""What every response carries, whatever produced it: security headers that
keep the chat page from being turned against its readers (no inline script,
no third-party origin, no framing), a request id for following one request
through the logs, an optional per-client rate limit and an optional API key."""
from __future__ import annotations

import hmac
import re
import uuid

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .errors import ApiError, is_openai_route

# Only the page's own files: text from a source can never become script, even
# if a future bug put it into the page as HTML.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# A request id from the client (or a proxy) is kept when it is harmless in a log line.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")


def init_app(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def add_headers(response):
        response.headers.update(SECURITY_HEADERS)
        response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
        return response

    @app.before_request
    def require_api_key():
        key = current_app.config["QA_API_KEY"]
        if key and needs_key() and not key_matches(request.headers.get("Authorization", ""), key):
            raise ApiError("invalid_api_key", "send the service's API key as 'Authorization: Bearer <key>'",
                           401)

    # QA_RATE_LIMIT, e.g. "60 per minute" (Flask-Limiter's notation), applies
    # to each client address on /api/ask; empty turns it off.
    app.config.setdefault("RATELIMIT_ENABLED", bool(app.config.get("QA_RATE_LIMIT")))
    limiter.init_app(app)


def ask_limit() -> str:
    # Only consulted while the limiter is enabled, i.e. when QA_RATE_LIMIT is set.
    return current_app.config["QA_RATE_LIMIT"]


# With QA_API_KEY set, what answers questions needs the key; the sources, the
# page, the contract and /healthz stay open (the cited text is public anyway).
def needs_key() -> bool:
    return is_openai_route() or request.endpoint == "api.ask"


def key_matches(authorization: str, key: str) -> bool:
    scheme, _, given = authorization.partition(" ")
    # Compared in constant time, so the answer's timing tells nothing about the key.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), key.encode())
