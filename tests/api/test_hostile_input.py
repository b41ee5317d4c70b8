"""Input a careless client or an attacker sends: a clear 4xx naming the field, never a 500, nothing changed."""

import base64
import csv
import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.core.errors import ApplicationError
from firstmile.events.models import Event
from firstmile.pickup.imports import read_spreadsheet
from firstmile.pickup.models import Warehouse
from firstmile.reverse.models import ReverseOrder
from firstmile.reverse.services import consolidation_agree

from .. import factories
from ..refusals import refused
from ..shipping.conftest import HONGMEI

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(db):
    ws = factories.carrier("WS")
    jt = factories.carrier("JT", with_centre_in="440111107")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    merchant = factories.organisation(OrganisationKind.MERCHANT, code="dg-lighting")
    consolidation_agree(actor=None, carrier_code="WS", merchant_code="dg-lighting")
    users = {
        "merchant": factories.user(merchant, Role.ADMIN),
        "carrier": factories.user(ws.organisation, Role.STAFF),
        "jt": factories.user(jt.organisation, Role.STAFF),
        "ops": factories.user(factories.organisation(OrganisationKind.PLATFORM), Role.STAFF),
    }
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def _post(client, path, body):
    return client.post(f"/api/v1{path}", body, content_type="application/json")


def _nothing_written(before):
    assert (Event.objects.count(), Warehouse.objects.count(), ReverseOrder.objects.count()) == before


def _counts():
    return Event.objects.count(), Warehouse.objects.count(), ReverseOrder.objects.count()


def test_nul_and_control_characters_are_refused_with_the_field_everywhere(parties):
    merchant = parties["merchant"]
    before = _counts()
    response = _post(merchant, "/warehouses", {**HONGMEI, "name": "仓\x00库"})
    assert response.status_code == 400
    assert response.json()["field"] == "name"
    response = _post(merchant, "/warehouses", {**HONGMEI, "contact_name": "陈\x1b[31m"})
    assert response.status_code == 400 and response.json()["field"] == "contact_name"
    response = merchant.get("/api/v1/reverse-orders", {"q": "TT\x00"})
    assert response.status_code == 400 and response.json()["field"] == "q"
    assert merchant.get("/api/v1/waybills/WS%00123").status_code == 400
    page = merchant.post("/merchant/warehouses/new/", {**HONGMEI, "name": "a\x00b"})
    assert page.status_code == 400
    assert "name" in page.content.decode()
    english = merchant.post(
        "/api/v1/warehouses",
        {**HONGMEI, "name": "\x00"},
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert "control characters" in english.json()["message"]
    _nothing_written(before)
    # Line breaks in free text are what text areas send, and stay allowed.
    assert _post(merchant, "/warehouses", {**HONGMEI, "address_detail": "洪屋涡村\n工业路3号"}).status_code == 201


def test_numbers_and_dates_out_of_range_or_of_the_wrong_type(parties):
    jt = parties["jt"]
    response = jt.get("/api/v1/pickup-requests", {"older_than_hours": "13528669505490306"})
    assert response.status_code == 400 and response.json()["field"] == "older_than_hours"
    assert jt.get("/api/v1/dispatch/tasks", {"date": "3.8e-109"}).status_code == 422
    assert jt.get("/api/v1/dispatch/tasks", {"date": "9999-12-31"}).status_code == 422
    assert jt.get("/api/v1/dispatch/tasks", {"date": "2024-07-24"}).status_code == 200
    before = _counts()
    for ids in ([True], ["1"], [2**70], [], [1.5]):
        response = _post(jt, "/pickup-requests/approve", {"subscription_ids": ids})
        assert response.status_code == 422, ids
        assert response.json()["field"].startswith("subscription_ids")
    _nothing_written(before)


def test_year_9999_cutovers_are_refused_not_overflowed(parties):
    ops = parties["ops"]
    switchover = _post(ops, "/switchovers", {"name": "JT→WS", "from_carrier": "JT", "to_carrier": "WS"}).json()
    for cutover in ("9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00+08:00", 1e300, "tomorrow"):
        response = _post(
            ops,
            f"/switchovers/{switchover['id']}/batches",
            {"name": "东莞", "division_codes": ["441900"], "cutover_at": cutover},
        )
        assert response.status_code == 422, (cutover, response.content)
        assert response.json()["field"] == "cutover_at"


def test_forged_cursors_are_a_400_naming_the_cursor(parties):
    merchant = parties["merchant"]
    forged = base64.b64encode(b"o=-5&r=0&p=").decode()
    for path in ("/api/v1/orders", "/api/v1/warehouses", "/api/v1/events", "/api/v1/reverse-orders"):
        for cursor in (forged, "bz0tNSZyPTAmcD0=", "not a cursor", "W1wiLWNyZWF0ZWRfYXRcIiwgMSwgMV0"):
            response = merchant.get(path, {"cursor": cursor})
            assert response.status_code == 400, (path, cursor, response.content)
            assert response.json()["field"] == "cursor"


def test_real_cursors_still_page(parties, db):
    carrier = parties["carrier"]
    for n in range(3):
        response = _post(
            carrier,
            "/reverse-orders",
            {
                "merchant_code": "dg-lighting",
                "order_no": f"TT{n}",
                "reverse_type": "intercept_refused",
                "business_mode": "pop",
                "warehouse_code": "HZ",
                "warehouse_name": "杭州",
                "owner_id": "O",
                "owner_name": "主",
            },
        )
        assert response.status_code == 201
    first = parties["merchant"].get("/api/v1/reverse-orders", {"page_size": 2}).json()
    second = parties["merchant"].get("/api/v1/reverse-orders", {"page_size": 2, "cursor": first["next_cursor"]})
    assert second.status_code == 200 and len(second.json()["results"]) == 1
    # The link is this request with the cursor: following it gives the same page.
    assert first["next"].startswith("http://testserver/api/v1/reverse-orders?")
    assert parties["merchant"].get(first["next"]).json()["results"] == second.json()["results"]
    assert second.json()["next_cursor"] is None and second.json()["next"] is None
    other_sort = parties["merchant"].get(
        "/api/v1/reverse-orders", {"page_size": 2, "cursor": first["next_cursor"], "sort": "created_at"}
    )
    assert other_sort.status_code == 400


def test_a_csv_field_over_the_csv_modules_limit_is_a_row_error(parties):
    content = (
        "仓库名称,仓库编码,联系人,联系电话,仓库地址\n" + "a" * 200_000 + ",X,陈,13800138000,广东东莞洪梅\n"
    ).encode()
    response = parties["merchant"].post("/api/v1/warehouses/import", {"file": SimpleUploadedFile("w.csv", content)})
    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert Warehouse.objects.count() == 0


def _xlsx_with_rows(rows: int, cell: str = "x") -> bytes:
    """A real .xlsx whose sheet holds ``rows`` rows, written without openpyxl so it stays small to make."""
    sheet = io.StringIO()
    sheet.write(
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    for r in range(1, rows + 1):
        sheet.write(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{cell}</t></is></c></row>')
    sheet.write("</sheetData></worksheet>")
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',  # noqa: E501
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',  # noqa: E501
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',  # noqa: E501
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',  # noqa: E501
        "xl/worksheets/sheet1.xml": sheet.getvalue(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_a_sheet_with_too_many_rows_is_refused_while_reading_in_bounded_memory():
    content = _xlsx_with_rows(300_000)
    assert len(content) < 5 * 1024 * 1024
    tracemalloc.start()
    with refused(ApplicationError, "invalid_input") as err:
        read_spreadsheet("big.xlsx", content, max_rows=5000)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert err.value.field == "file" and "5000" in str(err.value.message)
    assert peak < 40 * 1024 * 1024, peak


def test_a_zip_bomb_is_refused_before_parsing():
    content = _xlsx_with_rows(1_000_000)  # about 70 MB of XML in well under 5 MB of zip
    assert len(content) < 5 * 1024 * 1024
    with refused(ApplicationError, "invalid_input") as err:
        read_spreadsheet("bomb.xlsx", content, max_rows=5000)
    assert "MB" in str(err.value.message)


def test_the_sheet_rows_keep_their_numbers_and_lose_control_characters():
    rows = read_spreadsheet("a.csv", b"h1,h2\n\na\x00b,c\x07\n", max_rows=10)
    assert rows == [["h1", "h2"], [], ["ab", "c"]]


FORMULAS = ['=HYPERLINK("http://evil","click")', "+1+2", "-2+3", "@SUM(A1)", "\t=1"]


def test_exports_never_carry_a_formula(parties):
    ws_staff = parties["carrier"]
    for n, name in enumerate(FORMULAS):
        response = _post(
            ws_staff,
            "/reverse-orders",
            {
                "merchant_code": "dg-lighting",
                "order_no": f"TT{n}",
                "reverse_type": "intercept_refused",
                "business_mode": "pop",
                "warehouse_code": "HZ",
                "warehouse_name": "杭州",
                "owner_id": "=1+1",
                "owner_name": "主",
                "product_name": name,
            },
        )
        assert response.status_code == 201, response.content
    merchant = parties["merchant"]
    book = load_workbook(io.BytesIO(merchant.get("/api/v1/reverse-orders/export", {"format": "xlsx"}).content))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert {c.value for c in cells} >= {name.strip() for name in FORMULAS} | {"=1+1"}
    text = merchant.get("/api/v1/reverse-orders/export", {"format": "csv"}).content.decode("utf-8-sig")
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "'=HYPERLINK" in text
