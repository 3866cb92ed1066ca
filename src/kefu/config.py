"""One typed ``Settings`` for kefu, validated at start and passed in, never read ad hoc.

Precedence: CLI flags (passed as keyword overrides) > ``KEFU_*`` environment variables > defaults.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kefu.domain.errors import ConfigurationError
from kefu.domain.strength import weak_secret

DEV_SECRET = "kefu-development-secret-not-for-production"  # noqa: S105 - the placeholder that prod refuses


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="ignore", frozen=True)

    env: Literal["dev", "prod"] = "dev"
    database_url: str = "sqlite+aiosqlite:///./var/kefu.db"
    # PostgreSQL schema to use (search_path); lets several kefu instances or test runs share one database.
    database_schema: str | None = None
    redis_url: str | None = None
    nats_url: str | None = None
    secret: SecretStr = SecretStr(DEV_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # Sessions from the login endpoint; long-lived API tokens are issued separately.
    session_ttl_s: int = Field(default=12 * 3600, ge=60)
    # Sign-in protection (see docs/security.md): failures per account (and per client address) allowed in
    # the first window before a lockout; each next window allows twice the failures in four times the time.
    login_failures: int = Field(default=5, ge=1, le=1000)
    login_address_failures: int = Field(default=20, ge=1, le=100_000)
    login_backoff_s: int = Field(default=60, ge=1, le=86_400)
    login_lockout_max_s: int = Field(default=86_400, ge=1, le=30 * 86_400)
    elderly_age: int = Field(default=60, ge=40, le=120)
    business_lines: tuple[str, ...] = ("social", "payments", "games")
    local_timezone: str = "Asia/Shanghai"
    page_size_max: int = Field(default=200, ge=1, le=1000)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=100 * 1_048_576)  # larger: 413
    # Fail fast (docs/operations.md): connecting to PostgreSQL or Redis, checking a connection out of the
    # pool and each Redis command give up after this long, and the request is answered 503.
    dependency_timeout_s: float = Field(default=1.0, gt=0, le=60)
    # PostgreSQL's statement_timeout for kefu's sessions (a hung query, a lock held too long); 0: none.
    db_statement_timeout_s: float = Field(default=5.0, ge=0, le=3600)
    # How often a process running the outbox relay checks that yesterday's audit checkpoint exists.
    audit_checkpoint_check_s: float = Field(default=60, gt=0, le=86_400)
    # Who may read GET /metrics (a bearer token); unset: open in dev, 404 in prod.
    metrics_token: SecretStr | None = None

    # Routing (see docs/routing.md).
    offer_timeout_s: float = Field(default=20, gt=0, le=600)
    max_missed_offers: int = Field(default=1, ge=1, le=100)  # then the agent is set away (missed)
    decline_cooldown_s: float = Field(default=30, ge=0, le=3600)  # a decliner waits this long at most
    care_home_s: float = Field(default=10, ge=0, le=3600)  # elderly customers: home site first this long
    wrap_up_s: float = Field(default=10, ge=0, le=3600)
    wrap_up_extend_s: float = Field(default=60, ge=0, le=3600)  # an agent extends a wrap-up once, this much
    routing_strategy: Literal["longest_idle", "least_occupied", "round_robin"] = "longest_idle"
    log_json: bool | None = None  # None: JSON in prod, coloured console in dev

    # Care: callbacks, keep-your-place and the durable scheduler (see docs/care.md).
    callback_offer_s: int = Field(default=120, ge=0, le=3600)
    keep_place_window_s: int = Field(default=2 * 3600, ge=300, le=24 * 3600)
    callback_max_attempts: int = Field(default=3, ge=1, le=20)
    callback_retry_s: int = Field(default=600, ge=10, le=24 * 3600)
    callback_backoff: float = Field(default=1.0, ge=1.0, le=10.0)
    callback_max_rollovers: int = Field(default=3, ge=0, le=30)
    follow_up_rules: str | None = None  # path to a YAML file; None: the rules shipped in kefu.care
    scheduler_poll_s: float = Field(default=1.0, gt=0, le=60)
    scheduler_lease_s: float = Field(default=60, ge=1, le=3600)
    scheduler_batch: int = Field(default=50, ge=1, le=1000)

    # Screening and intervention cases (see docs/screening.md).
    hold_s: int = Field(default=86_400, ge=60, le=30 * 86_400)  # a hold unresolved this long is settled
    recontact_s: int = Field(default=300, ge=10, le=86_400)  # next contact attempt after a missed one
    hold_block_score: int = Field(default=80, ge=1, le=100)  # settled by policy: block at or above this
    case_group_s: int = Field(default=86_400, ge=0, le=30 * 86_400)  # a payer's stops join an open case
    # this young (seconds since it opened); an older open case no longer takes new stops
    release_review_amount: int = Field(default=5_000_000, ge=0)  # releasing this much (fen) needs four eyes
    family_alert_after_misses: int = Field(default=2, ge=1, le=20)  # payer unreachable: alert the family
    alert_retry_s: int = Field(default=60, ge=1, le=86_400)  # a failed family alert is sent again after
    alert_max_attempts: int = Field(default=5, ge=1, le=50)  # this many tries, doubling the wait each time
    screen_warn: int | None = Field(default=None, ge=1, le=100)  # override the rule set's thresholds
    screen_hold: int | None = Field(default=None, ge=1, le=100)
    screen_block: int | None = Field(default=None, ge=1, le=100)
    hold_check_s: float = Field(default=5.0, gt=0, le=600)  # how often `kefu serve` settles due holds
    notify_webhook_url: str | None = None  # family alerts go here (JSON POST); None: logged and recorded
    counters_prefix: str = "kefu:scr"  # Redis key prefix of the screening counters
    rules_check_s: float = Field(default=1.0, ge=0, le=300)  # how stale the active rule set may be
    auth_cache_s: float = Field(default=5.0, ge=0, le=300)  # how long a process trusts a token's user

    # The payments gateway loop and the specialist's phone (see docs/screening.md).
    payment_webhook_url: str | None = None  # status changes are POSTed here, signed; None: not sent
    payment_webhook_secret: SecretStr | None = None  # HMAC-SHA256 key of X-Kefu-Signature
    payment_webhook_retry_s: float = Field(default=5.0, gt=0, le=3600)  # first retry; doubles each time
    payment_webhook_retry_max_s: float = Field(default=600.0, gt=0, le=86_400)  # longest pause between tries
    payment_webhook_check_s: float = Field(default=1.0, gt=0, le=60)  # how often due deliveries are sent
    dialer_webhook_url: str | None = None  # click-to-call platform (signed POST); None: a tel: link
    dialer_webhook_secret: SecretStr | None = None  # HMAC-SHA256 key of the dialer's X-Kefu-Signature

    # The transactional outbox and its relay (see docs/operations.md).
    outbox_poll_s: float = Field(default=1.0, gt=0, le=60)  # relay's pause when nothing rang
    outbox_batch: int = Field(default=100, ge=1, le=10_000)  # rows per claim
    outbox_retention_s: int = Field(default=3600, ge=0, le=30 * 86_400)  # sent rows kept this long
    outbox_backoff_max_s: float = Field(default=5, ge=0.1, le=600)  # longest pause between failed publishes
    outbox_publish_timeout_s: float = Field(default=2.0, gt=0, le=60)  # wait for one JetStream ack
    # JetStream drops a repeated Nats-Msg-Id within this window; longer than any claim/retry gap.
    outbox_dedupe_window_s: int = Field(default=3600, ge=60, le=7 * 86_400)
    # The cluster (see docs/operations.md, "Cluster"): NATS subjects and the JetStream stream carry this
    # prefix, so several kefu installations (or test runs) share one NATS server.
    nats_prefix: str = Field(default="kefu", pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", max_length=64)
    # Named groups of queues, each routed by its own `kefu router --partition NAME`:
    # "anti_fraud=anti_fraud;payments=payments,elderly_care". Queues named nowhere are in partition `all`.
    partitions: str = Field(default="", max_length=4000)
    router_lease_s: float = Field(default=10, ge=0.5, le=600)  # a dead router's standby waits this long
    router_request_timeout_s: float = Field(default=5, gt=0, le=60)  # an API node's wait for the router

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> Settings:
        for url, secret, name in (
            (self.payment_webhook_url, self.payment_webhook_secret, "PAYMENT_WEBHOOK"),
            (self.dialer_webhook_url, self.dialer_webhook_secret, "DIALER_WEBHOOK"),
        ):
            if url and (secret is None or len(secret.get_secret_value()) < 16):
                raise ConfigurationError(
                    f"KEFU_{name}_URL needs KEFU_{name}_SECRET of at least 16 characters to sign with"
                )
        return self

    @model_validator(mode="after")
    def _refuse_weak_prod(self) -> Settings:
        secret = self.secret.get_secret_value()
        if self.env == "prod" and (secret == DEV_SECRET or weak_secret(secret)):
            raise ConfigurationError(
                "KEFU_ENV=prod needs KEFU_SECRET set to a random value of at least 32 characters "
                "(e.g. `openssl rand -hex 32`); it is unset, the placeholder or too regular"
            )
        return self

    @property
    def json_logs(self) -> bool:
        return self.env == "prod" if self.log_json is None else self.log_json


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides (CLI flags) on top; None means not given."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ConfigurationError:
        raise
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from exc
