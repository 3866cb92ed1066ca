"""Configuration: defaults, environment, overrides, and what production refuses."""

from __future__ import annotations

import pytest

from kefu.config import DEV_SECRET, load_settings
from kefu.domain.errors import ConfigurationError


def test_defaults_give_an_embedded_sqlite_kefu(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing set, kefu uses a SQLite file under ./var and no Redis or NATS."""
    for name in ("KEFU_DATABASE_URL", "KEFU_REDIS_URL", "KEFU_NATS_URL", "KEFU_ENV", "KEFU_SECRET"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///./var/kefu.db"
    assert s.redis_url is None
    assert s.nats_url is None
    assert s.env == "dev"


def test_flags_override_environment_which_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CLI flag beats KEFU_* which beats the default; a flag left unset (None) does not clear the env."""
    monkeypatch.setenv("KEFU_PORT", "9001")
    monkeypatch.setenv("KEFU_REDIS_URL", "redis://10.0.0.1:6379/0")
    s = load_settings(port=9002, redis_url=None)
    assert s.port == 9002
    assert s.redis_url == "redis://10.0.0.1:6379/0"


@pytest.mark.parametrize(
    "secret",
    [None, DEV_SECRET, "short", "a" * 32, "ab" * 20, "abcdefghijklmnopqrstuvwxyzabcdef", "0123456789" * 4],
)
def test_prod_refuses_a_default_or_weak_secret(monkeypatch: pytest.MonkeyPatch, secret: str | None) -> None:
    """KEFU_ENV=prod will not start with the placeholder secret, a short one or a low-entropy one."""
    monkeypatch.delenv("KEFU_SECRET", raising=False)
    with pytest.raises(ConfigurationError):
        load_settings(env="prod", secret=secret)


def test_prod_starts_with_a_real_secret() -> None:
    """A long random secret is accepted in prod, and it never shows in the settings' repr."""
    secret = "3f9a0c6e1b7d4f2a8c5e9b1d7f3a6c0e"  # like `openssl rand -hex 16`
    s = load_settings(env="prod", secret=secret)
    assert s.env == "prod"
    assert secret not in repr(s)


def test_bad_values_are_a_configuration_error() -> None:
    """A port out of range is reported as configuration, not as a crash."""
    with pytest.raises(ConfigurationError):
        load_settings(port=70000)


@pytest.mark.parametrize("name", ["payment_webhook", "dialer_webhook"])
def test_a_webhook_url_needs_a_secret_to_sign_with(name: str) -> None:
    """A payment or dialer webhook URL without a secret of 16+ characters is refused at start."""
    url = {f"{name}_url": "https://gateway.example/kefu"}
    with pytest.raises(ConfigurationError, match="SECRET"):
        load_settings(**url)
    with pytest.raises(ConfigurationError, match="SECRET"):
        load_settings(**url, **{f"{name}_secret": "short"})
    assert load_settings(**url, **{f"{name}_secret": "s" * 16}).model_dump()[f"{name}_url"]
