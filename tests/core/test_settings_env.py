import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from mitmachen import env


def test_bool_helper_is_strict(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env.env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "off")
    assert env.env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "ja")
    with pytest.raises(ImproperlyConfigured):
        env.env_bool("X_FLAG", False)


def test_int_and_list_helpers(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    assert env.env_int("X_INT", 1) == 12
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env.env_int("X_INT", 1)
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert env.env_list("X_LIST", []) == ["a.example", "b.example"]


def test_sqlite_default_uses_wal_and_immediate(tmp_path):
    config = env.database_config("", tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_postgres_url_and_bad_scheme():
    config = env.database_config("postgres://postgres@127.0.0.1:5432/mitmachen", None)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "mitmachen"
    with pytest.raises(ImproperlyConfigured):
        env.database_config("mysql://root@localhost/x", None)


def test_email_url():
    smtp = env.email_config("smtp://user:p%40ss@mail.example.org:587?tls=true")
    assert smtp["EMAIL_HOST"] == "mail.example.org" and smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_HOST_PASSWORD"] == "p@ss" and smtp["EMAIL_USE_TLS"] is True
    assert env.email_config("smtps://mail.example.org")["EMAIL_PORT"] == 465
    assert env.email_config("")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    for bad in ["smtp://", "smtp://h?tls=maybe", "carrier-pigeon://x", "smtp://h:port"]:
        with pytest.raises(ImproperlyConfigured):
            env.email_config(bad)


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = env.secret_key(tmp_path)
    assert len(first) >= 50
    assert env.secret_key(tmp_path) == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ImproperlyConfigured):
        env.secret_key(tmp_path)


def _run(args, **extra_env):
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DJANGO_SETTINGS_MODULE", "MITMACHEN_HTTPS", "EMAIL_URL",
                                "MITMACHEN_MANIFEST_STATIC"}}
    environment.update(extra_env)
    return subprocess.run([sys.executable, "-m", "mitmachen", *args], env=environment,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = _run(["check", "--deploy", "--fail-level", "WARNING"],
                  MITMACHEN_VAR_DIR=str(tmp_path), MITMACHEN_DEBUG="false",
                  SECRET_KEY="k" * 20 + "x7Gq9#pLm2@vB8!zR4$wT6^yN1&cE5*hJ3",
                  ALLOWED_HOSTS="mitmachen.example.org")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_setting_stops_the_start(tmp_path):
    result = _run(["check"], MITMACHEN_VAR_DIR=str(tmp_path), MITMACHEN_DEBUG="maybe")
    assert result.returncode != 0
    assert "MITMACHEN_DEBUG" in result.stderr


def test_redis_url_switches_the_task_backend(tmp_path):
    result = _run(["shell", "-c", "from django.conf import settings; print(settings.TASKS)"],
                  MITMACHEN_VAR_DIR=str(tmp_path), REDIS_URL="redis://127.0.0.1:6379/0")
    assert "RQBackend" in result.stdout, result.stderr


def test_logs_are_structured_json_lines():
    import json
    import logging

    from mitmachen.core.logs import StructuredFormatter

    record = logging.makeLogRecord({"msg": "request %s", "args": ("x",), "levelname": "INFO",
                                    "name": "mitmachen.request", "status": 200})
    line = json.loads(StructuredFormatter().format(record))
    assert line["message"] == "request x" and line["status"] == 200 and line["level"] == "info"
