"""The pages: server-rendered HTML for people, on the GOV.UK Design System (see README.md).

``install_pages(app)`` adds them to the app: the routers, the static files (our own and the
GOV.UK / MoJ Frontend assets copied in by ``make assets``) and GOV.UK 404 and 500 pages for paths
outside the API.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from web.pages.errors import install_error_pages
from web.pages.routes import (
    admin,
    cases,
    home,
    intake,
    manager,
    reviews,
    sign_in,
    sign_offs,
    tasks,
)
from web.pages.templating import STATIC_DIR

pages_router = APIRouter()
pages_router.include_router(home.router)
pages_router.include_router(sign_in.router)
pages_router.include_router(tasks.router)
pages_router.include_router(sign_offs.router)
pages_router.include_router(admin.router)
pages_router.include_router(manager.router)
# /cases/new and /cases/{reference}/review before the case page's /cases/{reference}/{slug},
# which would take "new" for a reference and "review" for an action.
pages_router.include_router(intake.router)
pages_router.include_router(reviews.router)
pages_router.include_router(cases.router)


def install_pages(app: FastAPI) -> None:
    app.include_router(pages_router)
    # check_dir=False: the app still starts where the assets were not built (an API-only
    # deployment); the pages then render unstyled rather than failing.
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    # GOV.UK Frontend's and MoJ Frontend's stylesheets load fonts and images from /assets/.
    app.mount(
        "/assets", StaticFiles(directory=STATIC_DIR / "assets", check_dir=False), name="assets"
    )
    install_error_pages(app)
