"""History reads as sentences: every event kind has one, in both languages, with its facts."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from firstmile.demo.data import load_demo
from firstmile.events.catalogue import EVENT_TYPES
from firstmile.events.models import Event
from firstmile.pickup.models import Warehouse
from firstmile.portals.sentences import SENTENCES, event_sentence

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_every_catalogue_kind_has_a_sentence_in_both_languages():
    assert set(SENTENCES) == set(EVENT_TYPES), set(EVENT_TYPES) ^ set(SENTENCES)
    for kind, template in SENTENCES.items():
        with translation.override("en"):
            english = str(template)
        with translation.override("zh-hans"):
            chinese = str(template)
        assert not CHINESE.search(english), kind
        assert chinese != english and CHINESE.search(chinese), f"{kind} has no Chinese sentence"
        # The same facts in both: a translation may reorder them, never drop one.
        assert sorted(re.findall(r"%\((\w+)\)s", chinese)) == sorted(re.findall(r"%\((\w+)\)s", english)), kind


def test_the_demos_history_reads_as_sentences_with_names_not_codes():
    load_demo()
    approved = Event.objects.filter(kind="subscription.approved").select_related("actor_user", "actor_organisation")
    event = approved.first()
    with translation.override("zh-hans"):
        chinese = event_sentence(event)
    with translation.override("en"):
        english = event_sentence(event)
    assert chinese == "极兔速递 J&T Express 的 极兔调度 批准了揽收：极兔速递 将在此地址上门揽收（PICK UP）。"
    assert (
        english == "极兔调度 of 极兔速递 J&T Express approved pickup: J&T Express collects from this address (PICK UP)."
    )
    for event in Event.objects.select_related("actor_user", "actor_organisation"):
        for language in ("zh-hans", "en"):
            with translation.override(language):
                text = event_sentence(event)
            assert "%(" not in text and event.kind not in text, (event.kind, text)
    order = Event.objects.filter(kind="order.created").first()
    with translation.override("en"):
        text = event_sentence(order)
    assert re.search(r"to ship by \d{4}-\d{2}-\d{2} \d{2}:\d{2}\.$", text), text


def test_the_warehouse_page_shows_its_history_in_sentences():
    load_demo()
    warehouse = Warehouse.objects.get(code="DG-HM-01")
    client = Client()
    client.force_login(warehouse.merchant.users.get(username="dg_merchant"))
    page = client.get(f"/merchant/warehouses/{warehouse.pk}/", headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "批准了揽收" in page and "subscription.approved" not in page and "pending_review" not in page
    english = client.get(f"/merchant/warehouses/{warehouse.pk}/", headers={"Accept-Language": "en"}).content.decode()
    assert "approved pickup: J&amp;T Express collects from this address" in english
