"""The web app: an app factory, and ``app_from_env`` for uvicorn::

    uvicorn --factory web.app:app_from_env --host 127.0.0.1 --port 8000

JSON under ``/api``, the OpenAPI document at ``/openapi.json``, Swagger UI at ``/api/docs``, the
Temporal Web UI's codec at ``/codec`` (``web/codec.py``); the pages (``web/pages``) everywhere
else.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from logging_setup import configure_logging
from services.identity import Identity
from services.runtime import Runtime, TemporalClient
from settings import Settings, get_settings
from web.api.errors import install_error_handlers
from web.api.main import api_router
from web.codec import install_codec
from web.metrics import install_metrics
from web.pages import disclosure as disclosure_pages
from web.pages import install_pages

API_PREFIX = "/api"


def create_app(
    settings: Settings,
    *,
    temporal: TemporalClient | None = None,
    connect_temporal: bool = True,
    identity: Identity | None = None,
) -> FastAPI:
    """The app for ``settings``. The store is migrated here; Temporal is dialled at start-up
    (unless ``temporal`` is given, or ``connect_temporal`` is False for store-only tests) and
    again on demand while it is unreachable, so the app starts even when Temporal is down."""
    runtime = Runtime.open(
        settings, temporal=temporal, connect_temporal=connect_temporal, identity=identity
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.try_connect()
        yield

    app = FastAPI(
        title="foiflow",
        summary="Statutory FOI/EIR/FOISA request deadlines, run on Temporal.",
        version="0.1.0",
        openapi_url="/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(api_router, prefix=API_PREFIX)
    install_codec(app, settings)
    install_pages(app)  # the pages, their static files, GOV.UK error pages outside /api
    app.include_router(disclosure_pages.router)
    install_metrics(app)
    return app


def app_from_env() -> FastAPI:
    """The app for the environment's settings (``FOIFLOW_*``), logging as they say."""
    settings = get_settings()
    configure_logging(settings)
    app = create_app(settings)
    freeze_start_up_heap()
    return app


def freeze_start_up_heap() -> None:
    """Take what start-up made (the modules, the app, its models: some 200,000 objects, which
    live as long as the process) out of the garbage collector's full collections. A full
    collection walks every tracked object; a request reading a list or the dashboard at
    100,000 cases allocates enough to set one off every few requests, and walking the start-up
    heap made that request ~100 ms slower on a 2-core machine (``bench/lists.py``)."""
    gc.collect()
    gc.freeze()
