"""One error hierarchy for all of kefu.

Every error a caller can cause is a ``KefuError`` with a stable ``code`` (part of the API contract), a
human ``title`` and a suggested HTTP ``status``. The HTTP layer maps any ``KefuError`` to RFC 9457
problem+json in one handler; the CLI prints ``detail`` on one line and exits non-zero. Domain code never
raises HTTP exceptions.

    KefuError                      500  internal (never raised for bad input)
    ├── InvalidInput               422  a value is well-formed but not acceptable
    ├── NotFound                   404  an id that does not exist
    ├── Conflict                   409  the request clashes with current state
    │   ├── AlreadyExists          409  a unique key is taken (external_id, username)
    │   ├── IdempotencyMismatch    409  a key (payment_id) repeated with a different request
    │   ├── IllegalTransition      409  a lifecycle step that is not allowed now
    │   └── NeedsContact           409  a case released before anyone reached the payer
    ├── Unauthenticated            401  no or bad credentials
    ├── Forbidden                  403  authenticated, but the role may not do this
    ├── TooManyRequests            429  too many attempts; retry after ``retry_after_s`` seconds
    ├── ConfigurationError         500  kefu refuses to start (e.g. default secret in prod)
    └── Unavailable                503  a backing service is down
        └── DependencyUnavailable  503  the database, Redis or NATS did not answer in time; retry later
"""

from __future__ import annotations

from typing import Any, ClassVar


class KefuError(Exception):
    """Base of every error kefu raises on purpose."""

    code: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"
    status: ClassVar[int] = 500

    def __init__(self, detail: str, **fields: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields


class InvalidInput(KefuError):
    code = "invalid_input"
    title = "Invalid input"
    status = 422


class NotFound(KefuError):
    code = "not_found"
    title = "Not found"
    status = 404

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} does not exist", kind=kind, id=ident)


class Conflict(KefuError):
    code = "conflict"
    title = "Conflict with current state"
    status = 409


class AlreadyExists(Conflict):
    code = "already_exists"
    title = "Already exists"


class IdempotencyMismatch(Conflict):
    code = "idempotency_mismatch"
    title = "Idempotency key reused for a different request"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Illegal state transition"

    def __init__(self, kind: str, ident: str, state: str, action: str) -> None:
        super().__init__(
            f"cannot {action} {kind} {ident!r} while it is {state}",
            kind=kind,
            id=ident,
            state=state,
            action=action,
        )


class NeedsContact(Conflict):
    code = "contact_required"
    title = "The payer must be reached first"


class Unauthenticated(KefuError):
    code = "unauthenticated"
    title = "Authentication required"
    status = 401


class Forbidden(KefuError):
    code = "forbidden"
    title = "Not allowed for this role"
    status = 403


class TooManyRequests(KefuError):
    """Refused for now (e.g. sign-in attempts over the limit); the HTTP layer sends ``Retry-After``."""

    code = "too_many_requests"
    title = "Too many requests"
    status = 429

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class ConfigurationError(KefuError):
    code = "configuration"
    title = "Configuration refused"
    status = 500


class Unavailable(KefuError):
    code = "unavailable"
    title = "Service unavailable"
    status = 503


class DependencyUnavailable(Unavailable):
    """A backing service is down or did not answer in time; the HTTP layer sends ``Retry-After``."""

    code = "dependency_unavailable"
    title = "A backing service is unavailable"

    def __init__(self, dependency: str, retry_after_s: int = 5) -> None:
        super().__init__(
            f"the {dependency} is unavailable; try again shortly",
            dependency=dependency,
            retry_after_s=retry_after_s,
        )
        self.retry_after_s = retry_after_s
