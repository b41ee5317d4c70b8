import pytest

from firstmile.accounts.models import Role
from firstmile.carriers.selectors import carrier_serving
from firstmile.pickup.models import PickupSubscription
from firstmile.switchover.models import SwitchoverBatch

from .. import factories
from ..worker import drain
from .conftest import CUTOVER

pytestmark = pytest.mark.django_db


def test_ops_plans_schedules_and_pushes_over_the_api(api, ops, jt, ws, hongmei, clock):
    client = api(factories.token(ops.organisation))
    created = client.post("/switchovers", {"name": "极兔 → 万色", "from_carrier": "JT", "to_carrier": "WS"})
    assert created.status_code == 201
    batch = client.post(
        f"/switchovers/{created.json()['id']}/batches",
        {"name": "东莞", "cutover_at": "2023-09-19T00:00:00+08:00", "division_codes": ["441900"]},
    )
    assert batch.status_code == 201
    batch_id = batch.json()["id"]
    queued = client.post(f"/switchover-batches/{batch_id}/push", {})
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    twice = client.post(f"/switchover-batches/{batch_id}/push", {})  # one push at a time
    assert twice.status_code == 409 and twice.json()["code"] == "push_in_progress"
    drain()
    job = client.get(f"/jobs/{queued.json()['id']}").json()
    assert job["status"] == "done" and job["report"] == {"pushed": 1, "failed": 0, "batch_id": batch_id}
    assert (job["progress_done"], job["progress_total"]) == (1, 1)
    assert client.get(f"/switchover-batches/{batch_id}").json()["batch"]["status"] == "pushed"
    board = client.get(f"/switchover-batches/{batch_id}").json()
    assert (board["pushed"], board["pending"], board["cut_over"]) == (1, 1, False)
    again = client.post(
        f"/switchovers/{created.json()['id']}/batches",
        {"name": "again", "cutover_at": "2023-09-20T00:00:00+08:00", "division_codes": ["441900"]},
    )
    assert again.status_code == 409 and again.json()["code"] == "batch_areas_overlap"
    assert again.json()["field"] == "division_codes"


def test_merchants_and_carriers_cannot_touch_switchovers(api, merchant, jt, ws, clock):
    for org in (merchant.organisation, ws.organisation):
        client = api(factories.token(org))
        response = client.post("/switchovers", {"name": "x", "from_carrier": "JT", "to_carrier": "WS"})
        assert response.status_code == 403
    assert not SwitchoverBatch.objects.exists()


def test_ops_portal_flow_and_merchant_notice(client, ops, merchant, jt, ws, hongmei, clock):
    client.force_login(ops.user)
    client.post("/ops/switchovers/", {"name": "极兔 → 万色", "from_carrier": "JT", "to_carrier": "WS"})
    switchover_id = client.get("/ops/switchovers/").context["switchovers"][0].pk
    response = client.post(
        f"/ops/switchovers/{switchover_id}/batches/",
        {"name": "东莞", "cutover_at": "2023-09-19T00:00", "area": "441900"},
        follow=True,
    )
    assert "东莞" in response.content.decode()
    batch = SwitchoverBatch.objects.get()
    assert batch.cutover_at == CUTOVER
    assert carrier_serving("441900125", CUTOVER) == ws
    response = client.post(f"/ops/batches/{batch.pk}/action/", {"action": "push"}, follow=True)
    assert "地址推送已在后台开始" in response.content.decode()
    drain()
    progress = client.get(f"/ops/batches/{batch.pk}/progress/").content.decode()
    assert "已处理 1 / 1 个仓库" in progress and 'data-status="done"' in progress
    bad = client.post(
        f"/ops/batches/{batch.pk}/action/", {"action": "postpone", "cutover_at": "2023-09-01T00:00"}, follow=True
    )
    assert "切换时间必须在未来" in bad.content.decode()
    client.force_login(merchant.user)
    page = client.get("/merchant/").content.decode()
    assert ws.name_zh in page and "2023-09-19 00:00" in page
    assert PickupSubscription.objects.filter(carrier=ws).exists()


def test_the_new_carrier_sees_the_pushed_request_tagged(client, ops, jt, ws, hongmei, clock):
    from firstmile.switchover.services import batch_push, batch_schedule, switchover_create

    s = switchover_create(actor=ops, name="x", from_carrier="JT", to_carrier="WS")
    b = batch_schedule(actor=ops, switchover_id=s.pk, name="东莞", cutover_at=CUTOVER, division_codes=["441900"])
    batch_push(actor=ops, batch_id=b.pk)
    client.force_login(factories.user(ws.organisation, Role.STAFF))
    page = client.get("/carrier/pickup-requests/").content.decode()
    assert "DG-HM" in page
    assert "09-19 00:00" in page


def test_an_interrupted_push_is_shown_and_resumed_from_the_batch_page(client, ops, jt, ws, hongmei, clock):
    from firstmile.events.models import Job, JobStatus
    from firstmile.switchover.services import batch_push_start, batch_schedule, switchover_create

    switchover = switchover_create(actor=ops, name="JT → WS", from_carrier="JT", to_carrier="WS")
    batch = batch_schedule(
        actor=ops, switchover_id=switchover.pk, name="东莞", cutover_at=CUTOVER, division_codes=["441900"]
    )
    job = batch_push_start(actor=ops, batch_id=batch.pk)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.INTERRUPTED, error="worker died")
    client.force_login(ops.user)
    page = client.get(f"/ops/batches/{batch.pk}/").content.decode()
    assert 'data-status="interrupted"' in page and "继续" in page
    resumed = client.post(f"/ops/jobs/{job.pk}/resume/", {"next": f"/ops/batches/{batch.pk}/"})
    assert resumed["Location"] == f"/ops/batches/{batch.pk}/"
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    # An outside address is not followed.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.INTERRUPTED)
    elsewhere = client.post(f"/ops/jobs/{job.pk}/resume/", {"next": "https://evil.example.com/"})
    assert elsewhere["Location"] == f"/ops/jobs/{job.pk}/"
    drain()
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE
