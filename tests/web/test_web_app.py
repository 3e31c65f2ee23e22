"""The app as uvicorn runs it: ``uvicorn --factory web.app:app_from_env``, settings from the
environment, the OpenAPI document and the docs page where the contract puts them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from settings import Settings
from web.app import app_from_env

from web_support import client_for


def test_web_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIFLOW_WEB_HOST", "0.0.0.0")
    monkeypatch.setenv("FOIFLOW_WEB_PORT", "8123")
    monkeypatch.setenv("FOIFLOW_TOKEN_TTL_HOURS", "2")
    monkeypatch.setenv("FOIFLOW_SECRET_KEY", "k" * 40)
    settings = Settings()
    assert (settings.web_host, settings.web_port, settings.token_ttl_hours) == ("0.0.0.0", 8123, 2)
    assert settings.secret_key.get_secret_value() == "k" * 40
    assert "k" * 40 not in repr(settings)
    monkeypatch.delenv("FOIFLOW_WEB_HOST")
    monkeypatch.delenv("FOIFLOW_WEB_PORT")
    assert (Settings().web_host, Settings().web_port) == ("127.0.0.1", 8000)


async def test_the_factory_serves_openapi_and_the_docs(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("FOIFLOW_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FOIFLOW_DATABASE_URL", settings.database_url)
    app = app_from_env()
    async with client_for(app) as client:
        schema = (await client.get("/openapi.json")).json()
        assert schema["info"]["title"] == "foiflow"
        assert "/api/token" in schema["paths"]
        docs = await client.get("/api/docs")
        assert docs.status_code == 200 and "swagger-ui" in docs.text
        assert (await client.get("/api/nowhere")).status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_uvicorn_runs_the_factory_on_the_configured_port(settings: Settings) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "FOIFLOW_DATA_DIR": str(settings.data_dir),
        "FOIFLOW_DATABASE_URL": settings.database_url,
        "FOIFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",  # down: the app must start anyway
    }
    uvicorn = Path(sys.executable).parent / "uvicorn"
    log = settings.data_dir / "uvicorn.log"
    server = subprocess.Popen(
        [str(uvicorn), "--factory", "web.app:app_from_env", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        for _ in range(100):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"uvicorn never answered:\n{log.read_text()}")
        assert health.json() == {"status": "ok", "temporal": "unreachable"}
        due = httpx.get(
            f"http://127.0.0.1:{port}/api/deadline", params={"received": "2025-03-03"}
        ).json()
        assert due["due_date"] == "2025-04-01"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)
