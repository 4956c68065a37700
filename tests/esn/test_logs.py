"""Logs as JSON lines carrying the request's id (esn/logs.py), for operators."""

from __future__ import annotations

import io
import json
import logging

import pytest

from esn.logs import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_every_response_carries_a_request_id(member_client):
    first = member_client.get("/")["X-Request-ID"]
    second = member_client.get("/")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_the_proxys_request_id_is_kept_when_sane_and_replaced_when_not(member_client):
    assert member_client.get("/", HTTP_X_REQUEST_ID="abc-123.x_y")["X-Request-ID"] == "abc-123.x_y"
    forged = member_client.get("/", HTTP_X_REQUEST_ID='x"\n{"level": "CRITICAL"}')
    assert forged["X-Request-ID"] != 'x"\n{"level": "CRITICAL"}'
    assert len(forged["X-Request-ID"]) == 32


def test_a_log_line_is_one_json_object_with_the_requests_id(member_client, json_log):
    response = member_client.get("/no-such-page/")
    assert response.status_code == 404
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    warning = next(line for line in lines if "Not Found" in line["message"])
    assert warning["request_id"] == response["X-Request-ID"]
    assert warning["level"] == "WARNING" and warning["logger"] == "django.request"
    assert warning["time"].endswith("+00:00")


def test_a_tasks_log_lines_carry_the_task_id(settings):
    from celery.signals import task_postrun, task_prerun

    from esn.logs import current_request_id

    task_prerun.send(sender=None, task_id="a1b2c3", task=None)
    record = logging.LogRecord("digests", logging.INFO, __file__, 1, "sent", None, None)
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    task_postrun.send(sender=None, task_id="a1b2c3", task=None)

    assert line["request_id"] == "a1b2c3"
    assert current_request_id.get() == ""
    # Celery logs through our LOGGING, not its own handlers on the root logger.
    assert settings.CELERY_WORKER_HIJACK_ROOT_LOGGER is False
