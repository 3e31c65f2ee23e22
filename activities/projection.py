"""Activity: project a case's state into the read model, and its timeline into the audit log.

Synchronous, like the other store activities: the worker runs it on its thread pool, and the
SQLAlchemy engine (one per database URL per process, see ``store.db.get_engine``) is thread-safe.
Idempotent: the projection applies only views newer than what is stored, so Temporal may retry
or redeliver it freely.
"""

from __future__ import annotations

import logging

from temporalio import activity

from domain.case import CaseView
from settings import get_settings
from store.db import get_engine, session_scope
from store.projection import apply_case_view

log = logging.getLogger("foiflow.projection")


@activity.defn(name="project_case")
def project_case(view: CaseView) -> None:
    engine = get_engine(get_settings().database_url)
    with session_scope(engine) as session:
        applied = apply_case_view(session, view)
    # Reference and version only: the view itself carries the requester's personal data.
    log.debug(
        "projection %s v%d %s", view.reference, view.version, "applied" if applied else "stale"
    )
