"""All API routes, mounted under ``/api`` by ``web.app``. A new resource is a module in
``routes/`` with its own ``router``, included here."""

from __future__ import annotations

from fastapi import APIRouter

from web.api.routes import (
    admin,
    cases,
    dashboard,
    deadline,
    disclosure,
    health,
    login,
    reviews,
    statistics,
    work,
)

api_router = APIRouter()
api_router.include_router(login.router)
api_router.include_router(deadline.router)
api_router.include_router(health.router)
api_router.include_router(admin.router)
api_router.include_router(cases.router)
api_router.include_router(reviews.router)
api_router.include_router(work.router)
api_router.include_router(disclosure.router)
api_router.include_router(statistics.router)
api_router.include_router(dashboard.router)
