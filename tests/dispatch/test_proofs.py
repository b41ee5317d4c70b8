"""Proof of pickup: a checked photo and/or the position at a stop, on the stop and on every parcel's history."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.core.errors import ApplicationError, NotFound
from firstmile.dispatch.models import PickupTask, StopProof
from firstmile.dispatch.services import day_plan, stop_proof_add
from firstmile.events.models import Event

from .. import factories
from ..refusals import refused
from ..snapshots import database_snapshot
from .test_services import MONDAY, _as_driver, _ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def stop(merchant, hongmei, dispatcher, crew, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(MONDAY, tick=False):
        waybills = _ship(merchant, 2)
        day_plan(actor=dispatcher)
    task = PickupTask.objects.get()
    return {"task": task, "driver": _as_driver(task.shift.driver), "waybills": waybills}


def test_a_driver_saves_a_photo_and_position_and_every_parcel_shows_it(stop, merchant, api, client):
    proof = stop_proof_add(
        actor=stop["driver"],
        task_id=stop["task"].pk,
        photo=factories.png_upload("IMG_0001.HEIC.png"),
        latitude="22.991234",
        longitude="113.052345",
        accuracy="12.6",
    )
    assert proof.photo.name.startswith("pickup-proof/") and proof.photo.name.endswith(".png")
    assert "IMG_0001" not in proof.photo.name  # stored under a name of ours
    assert (str(proof.latitude), str(proof.longitude), proof.accuracy_m) == ("22.991234", "113.052345", 13)
    assert Event.objects.filter(kind="pickup_task.proof_added", subject_id=str(stop["task"].pk)).count() == 1
    per_parcel = Event.objects.filter(kind="waybill.proof_of_pickup")
    assert sorted(per_parcel.values_list("subject_id", flat=True)) == sorted(str(w.pk) for w in stop["waybills"])
    assert per_parcel.first().owner == merchant.organisation

    erp = api(factories.token(merchant.organisation))
    detail = erp.get(f"/waybills/{stop['waybills'][0].waybill_no}").json()
    assert "waybill.proof_of_pickup" in [e["kind"] for e in detail["history"]]
    photo = erp.client.get(f"/api/v1/dispatch/proofs/{proof.pk}/photo", headers=erp.headers)
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == factories.png_bytes()
    client.force_login(factories.user(merchant.organisation, role=Role.STAFF))
    assert client.get(f"/merchant/proofs/{proof.pk}/photo/").status_code == 200
    with time_machine.travel(MONDAY, tick=False):
        page = client.get("/merchant/pickup-help/").content.decode()
    assert f"/merchant/proofs/{proof.pk}/photo/" in page and "22.991234" in page


def test_bad_proofs_are_refused_naming_the_field_and_change_nothing(stop, dispatcher):
    task, driver = stop["task"], stop["driver"]
    ws = factories.carrier("WS")
    ws_admin = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
    before = database_snapshot()
    cases = [
        ({"photo": SimpleUploadedFile("p.jpg", b"GIF89a not really", content_type="image/jpeg")}, "photo"),
        ({"photo": SimpleUploadedFile("p.svg", b"<svg onload=alert(1)>", content_type="image/svg+xml")}, "photo"),
        ({"latitude": "91", "longitude": "113"}, "latitude"),
        ({"latitude": "22.9", "longitude": "NaN"}, "longitude"),
        ({"latitude": "22.9", "longitude": "1e400"}, "longitude"),
        ({"latitude": "22.9"}, "longitude"),
        ({"latitude": "22.9", "longitude": "113", "accuracy": "-3"}, "accuracy"),
        ({"latitude": "22.9", "longitude": "113", "accuracy": "inf"}, "accuracy"),
        ({}, "photo"),
    ]
    for fields, field in cases:
        with pytest.raises(ApplicationError) as refusal:
            stop_proof_add(actor=driver, task_id=task.pk, **fields)
        assert refusal.value.field == field, fields
    # Another carrier's dispatcher: no such stop.
    with refused(NotFound, "task_not_found"):
        stop_proof_add(actor=ws_admin, task_id=task.pk, latitude="22.9", longitude="113")
    assert database_snapshot() == before
    assert StopProof.objects.count() == 0


def test_a_carriers_system_uploads_a_proof_through_the_api(stop, dispatcher, api):
    client = api(factories.token(dispatcher.organisation))
    answer = client.client.post(
        f"/api/v1/dispatch/tasks/{stop['task'].pk}/proofs",
        {"photo": factories.png_upload(), "latitude": "22.99", "longitude": "113.05"},
        headers=client.headers,
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["photo_url"] == f"/api/v1/dispatch/proofs/{body['id']}/photo" and body["latitude"] == 22.99
    refused = client.client.post(
        f"/api/v1/dispatch/tasks/{stop['task'].pk}/proofs", {"latitude": "95"}, headers=client.headers
    )
    assert refused.status_code == 400 and refused.json()["field"] == "latitude"
