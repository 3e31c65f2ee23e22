"""TLS to Temporal from the settings: foiflow's names and Temporal's own (TEMPORAL_TLS_*), mutual
TLS needing both halves, and Temporal Cloud's API key turning TLS on."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from services.errors import Unavailable
from services.temporal import tls_config
from settings import Settings, settings_problem

PEM = "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n"


@pytest.fixture
def pems(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name in ("cert", "key", "ca"):
        path = tmp_path / f"{name}.pem"
        path.write_text(PEM.format(name))
        files[name] = path
    return files


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TLS", "TLS_CERT", "TLS_KEY", "TLS_CA", "TLS_SERVER_NAME", "API_KEY"):
        monkeypatch.delenv(f"TEMPORAL_{name}", raising=False)
        monkeypatch.delenv(f"FOIFLOW_TEMPORAL_{name}", raising=False)


def test_no_tls_settings_means_a_plain_connection() -> None:
    settings = Settings()
    assert not settings.temporal_uses_tls
    assert tls_config(settings) is False


def test_temporal_s_own_variable_names_give_mutual_tls(
    monkeypatch: pytest.MonkeyPatch, pems: dict[str, Path]
) -> None:
    monkeypatch.setenv("TEMPORAL_TLS_CERT", str(pems["cert"]))
    monkeypatch.setenv("TEMPORAL_TLS_KEY", str(pems["key"]))
    monkeypatch.setenv("TEMPORAL_TLS_CA", str(pems["ca"]))
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    config = tls_config(Settings())
    assert isinstance(config, TLSConfig)
    assert config.client_cert == pems["cert"].read_bytes()
    assert config.client_private_key == pems["key"].read_bytes()
    assert config.server_root_ca_cert == pems["ca"].read_bytes()
    assert config.domain == "temporal.internal"


def test_foiflow_s_names_win_over_temporal_s(
    monkeypatch: pytest.MonkeyPatch, pems: dict[str, Path], tmp_path: Path
) -> None:
    monkeypatch.setenv("TEMPORAL_TLS_CA", str(tmp_path / "elsewhere.pem"))
    monkeypatch.setenv("FOIFLOW_TEMPORAL_TLS_CA", str(pems["ca"]))
    settings = Settings()
    assert settings.temporal_tls_ca == pems["ca"]
    config = tls_config(settings)  # a CA alone: the server is verified, no client certificate
    assert isinstance(config, TLSConfig) and config.client_cert is None


def test_a_certificate_without_its_key_is_refused_naming_both(
    monkeypatch: pytest.MonkeyPatch, pems: dict[str, Path]
) -> None:
    monkeypatch.setenv("FOIFLOW_TEMPORAL_TLS_CERT", str(pems["cert"]))
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert settings_problem(caught.value) == (
        "FOIFLOW_TEMPORAL_TLS_KEY: must be set with FOIFLOW_TEMPORAL_TLS_CERT "
        "(mutual TLS needs both)"
    )


def test_an_api_key_turns_tls_on_with_the_system_s_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_API_KEY", "cloud-key")
    settings = Settings()
    assert settings.temporal_api_key.get_secret_value() == "cloud-key"
    assert "cloud-key" not in repr(settings)
    config = tls_config(settings)
    assert isinstance(config, TLSConfig) and config.server_root_ca_cert is None


def test_an_unreadable_file_names_its_setting(tmp_path: Path) -> None:
    settings = Settings(temporal_tls=True, temporal_tls_ca=tmp_path / "gone.pem")
    with pytest.raises(Unavailable) as caught:
        tls_config(settings)
    assert caught.value.field == "FOIFLOW_TEMPORAL_TLS_CA"
    assert caught.value.reason.startswith(f"cannot read {tmp_path / 'gone.pem'}")
