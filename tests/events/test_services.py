import pytest
from django.db import transaction

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import Organisation
from firstmile.events.models import Event
from firstmile.events.selectors import event_list
from firstmile.events.services import event_record

from .. import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_event_outside_a_transaction_is_refused():
    org = factories.organisation()
    with pytest.raises(RuntimeError):
        event_record(actor=None, kind="x.happened", subject=org)


def test_a_rolled_back_change_leaves_no_event():
    with pytest.raises(ValueError), transaction.atomic():
        org = Organisation.objects.create(kind="merchant", code="tmp", name="tmp")
        event_record(actor=None, kind="organisation.created", subject=org, owner=org)
        raise ValueError("the change fails after its event was written")
    assert not Event.objects.filter(
        subject_type="accounts.organisation", kind="organisation.created", payload={}
    ).exists()
    assert not Organisation.objects.filter(code="tmp").exists()


def test_event_list_shows_an_organisation_only_its_own_events():
    a, b = factories.organisation(), factories.organisation()
    actor_a = factories.actor(a)
    seen = set(event_list(actor=actor_a).values_list("owner_id", flat=True))
    assert seen == {a.pk}
    assert event_list(actor=factories.actor(b)).filter(owner=a).count() == 0


def test_deleting_a_party_still_reaches_its_events_without_database_constraints():
    # Event's party columns hold no database foreign keys (events/models.py);
    # Django's on_delete keeps them consistent instead.
    merchant, carrier = factories.organisation(), factories.organisation(kind="carrier")
    user = factories.user(merchant)
    with transaction.atomic():
        event = event_record(
            actor=Actor.for_user(user),
            kind="user.updated",
            subject=merchant,
            owner=carrier,
            counterparty=merchant,
        )
    user.delete()
    event.refresh_from_db()
    assert (event.actor_user_id, event.actor_organisation_id) == (None, merchant.pk)
    merchant.delete()
    assert not Event.objects.filter(pk=event.pk).exists()
