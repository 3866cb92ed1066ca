"""The FastAPI application: routers, problem+json errors, request ids, and kefu's lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI

from kefu.bootstrap import Kefu, bootstrap
from kefu.config import Settings
from kefu.entrypoints import web
from kefu.entrypoints.api import problems
from kefu.entrypoints.api.middleware import RequestContext
from kefu.entrypoints.api.routes import agents, auth, conversations, customers, health, offers, queues, sites
from kefu.entrypoints.api.routes import callbacks as callback_routes
from kefu.entrypoints.api.routes import cases as case_routes
from kefu.entrypoints.api.routes import fraud as fraud_routes
from kefu.entrypoints.api.routes import kb as kb_routes
from kefu.entrypoints.api.routes import payments as payment_routes
from kefu.entrypoints.api.routes import quality as quality_routes
from kefu.entrypoints.api.routes import reports as report_routes
from kefu.entrypoints.api.routes import rules as rule_routes
from kefu.entrypoints.api.routes import stream as stream_routes
from kefu.entrypoints.api.routes import wallboard as wallboard_routes
from kefu.entrypoints.web import reports as reports_page

DESCRIPTION = """\
kefu (客服) routes every contact to the right agent across six service bases, puts elderly and vulnerable
customers first, and stops scam payments in flight (劝阻止付).

Every endpoint except `/healthz`, the docs and `POST /api/v1/auth/login` needs
`Authorization: Bearer <token>`.
Errors are RFC 9457 `application/problem+json` with a stable `code`.
"""


def create_app(settings: Settings | None = None, kefu: Kefu | None = None) -> FastAPI:
    """The app. Give ``kefu`` to serve an already bootstrapped instance (tests), else it starts its own."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if kefu is not None:
            app.state.kefu = kefu
            yield
            return
        if settings is None:
            raise RuntimeError("create_app needs settings or a bootstrapped kefu")
        own = await bootstrap(settings)
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
    for module in (health, auth, sites, customers, agents, conversations, queues, offers):
        app.include_router(module.router)
    app.include_router(wallboard_routes.router)
    app.include_router(stream_routes.router)
    app.include_router(kb_routes.router)
    app.include_router(callback_routes.router)
    for screening_module in (payment_routes, case_routes, rule_routes, fraud_routes):
        app.include_router(screening_module.router)
    app.include_router(quality_routes.router)
    app.include_router(report_routes.router)
    app.include_router(reports_page.router)
    web.mount(app)
    app.add_middleware(RequestContext)
    return app
