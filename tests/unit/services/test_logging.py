"""Logs and tracebacks never carry request locals, tokens or passwords, in dev or in prod format."""

from __future__ import annotations

import pytest
import structlog

from kefu.entrypoints.logging import configure_logging

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSIsInZlciI6MX0.c2lnbmF0dXJlLXBhcnQ"


def _fail(authorization: str, password: str) -> None:
    secret_local = authorization + password  # noqa: F841 - a local a rich traceback would print
    raise RuntimeError("the database went away")


@pytest.mark.parametrize("json_logs", [False, True])
def test_a_logged_traceback_shows_no_locals_and_no_token(
    capsys: pytest.CaptureFixture[str], json_logs: bool
) -> None:
    """log.exception in dev (console) and prod (JSON) prints the frames but no local value or token."""
    configure_logging(json_logs)
    password = "-".join(("Hunter2", "Secret!"))  # not written out on the line the traceback shows
    try:
        try:
            _fail(f"Bearer {TOKEN}", password)
        except RuntimeError:
            structlog.get_logger("test").exception("unhandled error", header=f"Bearer {TOKEN}")
        err = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
    assert "the database went away" in err and "_fail" in err
    assert password not in err
    assert TOKEN not in err and TOKEN[:20] not in err
    assert "secret_local" not in err


def test_a_password_in_a_logged_body_is_blanked(capsys: pytest.CaptureFixture[str]) -> None:
    """A request body echoed into a log line loses its password value."""
    configure_logging(True)
    try:
        structlog.get_logger("test").info("bad body", body='{"username": "a", "password": "pa55-word"}')
        err = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
    assert "pa55-word" not in err and "[hidden]" in err
