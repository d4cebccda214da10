"""Errors a route raises on purpose. Each carries a machine code and a message for users (zh-CN)."""
from typing import Any


class DomainError(Exception):
    status_code = 400
    default_code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details


class Unauthorized(DomainError):
    status_code = 401
    default_code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    default_code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"


class Invalid(DomainError):
    status_code = 422
    default_code = "invalid"


class TooLarge(DomainError):
    status_code = 413
    default_code = "too_large"
