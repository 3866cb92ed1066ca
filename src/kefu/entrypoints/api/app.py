"""The FastAPI application: routers, problem+json errors, request ids, and kefu's lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI

from kefu.bootstrap import Kefu, bootstrap, bootstrap_role
from kefu.config import Settings, load_settings
from kefu.entrypoints import web
from kefu.entrypoints.api import openapi, problems, stream
from kefu.entrypoints.api.care import callbacks, kb
from kefu.entrypoints.api.middleware import InputLimits, MetricsTiming, RequestContext, SecurityHeaders
from kefu.entrypoints.api.quality import routes as quality
from kefu.entrypoints.api.reports import routes as reports
from kefu.entrypoints.api.reports import wallboard
from kefu.entrypoints.api.routing import offers, place, queues, wrap_up
from kefu.entrypoints.api.routing import rules as routing_rules
from kefu.entrypoints.api.screening import calls, cases, payees, rules, screenings, stats, watchlist
from kefu.entrypoints.api.shared import (
    agents,
    audit,
    auth,
    canned,
    conversations,
    customers,
    health,
    metrics,
    search_work,
    sites,
)
from kefu.entrypoints.web import reports as reports_page

DESCRIPTION = """\
kefu (客服) routes every contact to the right agent across six service bases, puts elderly and vulnerable
customers first, and stops scam payments in flight (劝阻止付).

Every endpoint except `/healthz`, the docs and `POST /api/v1/auth/login` needs
`Authorization: Bearer <token>`.
Errors are RFC 9457 `application/problem+json` with a stable `code`.
"""


def create_app(
    settings: Settings | None = None, kefu: Kefu | None = None, role: str | None = None
) -> FastAPI:
    """The app. Give ``kefu`` to serve an already bootstrapped instance (tests), else it starts its own;
    ``role="api"`` makes it a stateless API node of a cluster (``kefu serve --roles api``, and each of
    ``kefu serve --workers N``'s processes): no routing engine, routing commands sent to the routers."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if kefu is not None:
            app.state.kefu = kefu
            yield
            return
        if settings is None:
            raise RuntimeError("create_app needs settings or a bootstrapped kefu")
        own = await (bootstrap(settings) if role is None else bootstrap_role(settings, role))
        app.state.kefu = own
        try:
            yield
        finally:
            await own.close()

    app = FastAPI(
        title="kefu",
        version=version("kefu"),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    if kefu is not None:
        app.state.kefu = kefu
    problems.install(app)
    openapi.install(app)
    # Jobs' routers in one list; the order fixes the order of paths in the OpenAPI document.
    for router in (
        *(m.router for m in (health, auth, sites, customers, agents, conversations, audit)),
        callbacks.conversation_router,  # keep-your-place, under /conversations
        place.router,  # the customer's place in line, under /conversations
        *(m.router for m in (queues, routing_rules, offers, wrap_up, wallboard, stream, kb, callbacks)),
        *(m.router for m in (screenings, payees, watchlist, cases, calls, rules, stats)),
        canned.router,
        search_work.router,
        quality.router,
        reports.router,
        reports_page.router,
        metrics.router,
    ):
        app.include_router(router)
    web.mount(app)
    max_body = (settings or (kefu.settings if kefu is not None else None) or Settings()).max_body_bytes
    app.add_middleware(InputLimits, max_body_bytes=max_body)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(MetricsTiming)
    app.add_middleware(RequestContext)
    return app


def api_worker_app() -> FastAPI:
    """One of ``kefu serve --workers N``'s API processes: settings from the environment, a cluster's API
    node (the engine runs in ``kefu router``), with its own outbox relay (relays claim rows)."""
    return create_app(load_settings(), role="api")
