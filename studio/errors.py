"""Errors raised by services. Views, admin actions and the API turn them into responses."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused operation. The message is written for the person who asked for it."""

    status_code = 400

    def __init__(
        self, message: str, *, field: str | None = None, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Field -> messages, for refusals that find several problems at once (a flow).
        self.errors = errors

    def as_dict(self) -> dict:
        if self.errors:
            return self.errors
        if self.field and self.status_code == 400:
            return {self.field: [self.message]}
        return {"detail": self.message}


class InvalidInput(ServiceError):
    status_code = 400


class Conflict(ServiceError):
    """The object is not in a state that allows the operation (HTTP 409)."""

    status_code = 409


class NotAllowed(ServiceError):
    status_code = 403


class RateLimited(ServiceError):
    """Too many requests of one kind from one caller (HTTP 429); try again later."""

    status_code = 429
