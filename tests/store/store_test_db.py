"""PostgreSQL helpers for the store tests: reach (or start) the server, make and drop databases."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from store.db import dispose_engine

PG_ADMIN_URL = os.environ.get(
    "FOIFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pg_conninfo(url: str) -> str:
    """psycopg's spelling of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_error() -> str | None:
    try:
        with psycopg.connect(pg_conninfo(PG_ADMIN_URL), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip()


def ensure_postgres() -> str | None:
    """None when PostgreSQL answers (starting the local cluster if needed), else why not."""
    error = _pg_error()
    if error is None:
        return None
    clusters = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    if clusters and shutil.which("pg_ctlcluster"):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1].name, "main", "start"],
            capture_output=True,
            check=False,
            timeout=60,
        )
        for _ in range(20):
            error = _pg_error()
            if error is None:
                return None
            time.sleep(0.5)
    return error


def new_pg_database(prefix: str = "foiflow_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_conninfo(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    dispose_engine(url)
    name = make_url(url).database
    with psycopg.connect(pg_conninfo(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
