"""One module for every failure's JSON: {"error": {"code", "message"}} on this
service's own routes, and OpenAI's shape, {"error": {"message", "type",
"param", "code"}}, under /v1, where clients are OpenAI's SDKs and front ends."""
from __future__ import annotations

import logging

from flask import Flask, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from ..index.cluster import SearchUnavailable

log = logging.getLogger(__name__)

OPENAI_PREFIX = "/v1"
# OpenAI's error `type` for each status (the SDKs raise by status; the type is for people reading it).
OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 404: "invalid_request_error",
                429: "rate_limit_error"}


class ApiError(Exception):
    """A client error with a stable machine-readable code."""

    def __init__(self, code: str, message: str, status: int = 400, param: str | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.param = code, message, status, param


def is_openai_route() -> bool:
    return has_request_context() and (request.path == OPENAI_PREFIX
                                      or request.path.startswith(OPENAI_PREFIX + "/"))


def openai_type(status: int) -> str:
    if status >= 500:
        return "server_error"
    return OPENAI_TYPES.get(status, "invalid_request_error")


def error_response(code: str, message: str, status: int, param: str | None = None):
    if is_openai_route():
        body = {"error": {"message": message, "type": openai_type(status), "param": param, "code": code}}
    else:
        body = {"error": {"code": code, "message": message}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="qa"'
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_response(exc.code, exc.message, exc.status, exc.param)

    @app.errorhandler(SearchUnavailable)
    def search_unavailable(exc: SearchUnavailable):
        response = error_response("search_unavailable", f"{exc}; try again shortly", 503)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(code, exc.description or exc.name, exc.code or 500)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        # Never a traceback to the client; the log keeps it for us.
        log.exception("unhandled error")
        return error_response("internal_error", InternalServerError.description, 500)
