"""A Python client generated from /api/v1/openapi.json with openapi-python-client works with tokens.

A patient's program submits a check-in and the clinician's program lists the alert it raised, each with a
personal access token against a live server (whose CSRF check is real: token requests need none). The
document's error answers parse into the shared error model instead of ``parsed=None``.
"""

from __future__ import annotations

import importlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import uuid
from typing import Any

import pytest
import requests
from django.utils import timezone

from ketacare.interop.services import create_personal_token

pytestmark = [pytest.mark.django_db(transaction=True)]
PACKAGE = "kc_generated_client"


@pytest.fixture(scope="module")
def generated(live_server: Any, tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> Any:
    tmp_path = tmp_path_factory.mktemp("generated")
    with django_db_blocker.unblock():  # the served document's request passes the audit middleware
        document = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=30)
    assert document.status_code == 200
    (tmp_path / "openapi.json").write_bytes(document.content)
    venv_bin = pathlib.Path(sys.executable).parent
    generator = shutil.which("openapi-python-client", path=str(venv_bin)) or "openapi-python-client"
    result = subprocess.run(  # noqa: S603  # the generator from the project's own venv, fixed arguments
        [generator, "generate", "--path", "openapi.json", "--output-path", PACKAGE, "--meta", "none"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout  # nothing of the document was skipped
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[module]


def _token(user: Any, scopes: str) -> str:
    raw, _ = create_personal_token(user=user, name="script", scopes=scopes, days=1, now=timezone.now())
    return raw


def test_a_generated_client_submits_a_checkin_and_lists_the_alert(
    generated: Any, live_server: Any, personas: Any
) -> None:
    client_module = generated("client")
    submit = generated("api.checkins.ketacare_checkins_api_submit_checkin_api")
    list_alerts = generated("api.alerts.ketacare_alerts_api_list_alerts")
    models = generated("models")
    patient = client_module.AuthenticatedClient(
        base_url=live_server.url, token=_token(personas.a1.user, "api/write")
    )
    body = models.KetacareCheckinsApiSubmitCheckinApiCheckinIn.from_dict(
        {"idempotency_key": uuid.uuid4().hex, "reports": [{"symptom_id": "chest_pain", "severity": "mild"}]}
    )
    created = submit.sync_detailed(client=patient, body=body)
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.CheckinOut)

    clinician = client_module.AuthenticatedClient(
        base_url=live_server.url, token=_token(personas.clinician_a, "api/read")
    )
    page = list_alerts.sync(client=clinician)
    assert isinstance(page, models.PagedAlertOut) and page.results and page.count == len(page.results)
    alerts = page.results
    assert all(isinstance(alert, models.AlertOut) for alert in alerts)
    assert any(str(alert.patient_id) == str(personas.a1.public_id) for alert in alerts)
    first = list_alerts.sync(client=clinician, limit=1)  # the paging parameters are in the client
    assert len(first.results) == 1 and (first.to_dict()["next"] is not None) == (page.count > 1)


def test_errors_parse_into_the_shared_error_model(generated: Any, live_server: Any, personas: Any) -> None:
    client_module = generated("client")
    submit = generated("api.checkins.ketacare_checkins_api_submit_checkin_api")
    models = generated("models")
    body = models.KetacareCheckinsApiSubmitCheckinApiCheckinIn.from_dict({"idempotency_key": "k", "mood": 6})
    read_only = client_module.AuthenticatedClient(
        base_url=live_server.url, token=_token(personas.a1.user, "api/read")
    )
    refused = submit.sync_detailed(client=read_only, body=body)
    assert refused.status_code == 403 and isinstance(refused.parsed, models.ApiErrorOut)
    unknown = client_module.AuthenticatedClient(base_url=live_server.url, token="kcp_not-a-token")
    denied = submit.sync_detailed(client=unknown, body=body)
    assert denied.status_code == 401 and isinstance(denied.parsed, models.ApiErrorOut)
    writer = client_module.AuthenticatedClient(
        base_url=live_server.url, token=_token(personas.a1.user, "api/write")
    )
    invalid = models.KetacareCheckinsApiSubmitCheckinApiCheckinIn.from_dict(
        {"idempotency_key": "k2", "mood": 6}
    )
    invalid.mood = 99  # the generated model does not check bounds: the server does
    answer = submit.sync_detailed(client=writer, body=invalid)
    assert answer.status_code == 422 and isinstance(answer.parsed, models.ApiErrorOut)
    assert answer.parsed.errors[0].field == "mood"


def test_the_document_has_no_dangling_reference_however_often_it_is_built() -> None:
    import re

    from ketacare.api import api

    first = json.dumps(api.get_openapi_schema(), sort_keys=True)
    second = api.get_openapi_schema()
    assert json.dumps(second, sort_keys=True) == first
    names = set(re.findall(r"#/components/schemas/([A-Za-z0-9_]+)", first))
    assert names and names <= set(second["components"]["schemas"])
    assert "#/$defs/" not in first
    for operations in second["paths"].values():
        for operation in operations.values():
            assert {"401", "403", "404", "409", "422"} <= set(operation["responses"])
