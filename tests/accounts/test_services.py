import pytest

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import ApiToken, OrganisationKind, Role, User
from firstmile.accounts.selectors import api_token_authenticate, user_list
from firstmile.accounts.services import api_token_issue, api_token_revoke, user_create
from firstmile.core.errors import ApplicationError, Conflict, ErrorKind, Forbidden, NotFound
from firstmile.events.models import Event

from .. import factories
from ..refusals import refused

pytestmark = pytest.mark.django_db


def test_issued_token_authenticates_and_only_its_digest_is_stored():
    org = factories.organisation()
    token, raw = api_token_issue(actor=None, organisation=org, name="ERP")
    assert raw.startswith("fm_")
    assert raw not in {token.digest, token.prefix}
    assert api_token_authenticate(raw) == token
    assert Event.objects.filter(kind="api_token.issued", subject_id=str(token.pk)).exists()


@pytest.mark.parametrize("raw", ["", "abc", "Bearer fm_x", "fm_" + "!" * 43])
def test_malformed_token_is_unauthenticated(raw):
    with pytest.raises(ApplicationError) as err:
        api_token_authenticate(raw)
    assert err.value.kind == ErrorKind.UNAUTHENTICATED
    assert err.value.code == "token_invalid"


def test_unknown_and_revoked_tokens_are_refused():
    org = factories.organisation()
    admin = factories.actor(org)
    token, raw = api_token_issue(actor=admin, organisation=org, name="ERP")
    with pytest.raises(ApplicationError) as err:
        api_token_authenticate(raw[:-2] + "xx")
    assert err.value.code == "token_invalid"
    api_token_revoke(actor=admin, token_id=token.pk)
    with pytest.raises(ApplicationError) as err:
        api_token_authenticate(raw)
    assert err.value.code == "token_revoked"
    with refused(Conflict, "token_revoked"):
        api_token_revoke(actor=admin, token_id=token.pk)


def test_tokens_of_a_deactivated_organisation_are_refused():
    org = factories.organisation()
    _token, raw = api_token_issue(actor=None, organisation=org, name="ERP")
    org.is_active = False
    org.save()
    with pytest.raises(ApplicationError) as err:
        api_token_authenticate(raw)
    assert err.value.code == "organisation_inactive"


def test_a_merchant_cannot_issue_or_revoke_tokens_of_another_organisation():
    mine, theirs = factories.organisation(), factories.organisation()
    me = factories.actor(mine)
    token, _raw = api_token_issue(actor=None, organisation=theirs, name="ERP")
    with refused(NotFound, "not_found"):
        api_token_issue(actor=me, organisation=theirs, name="mine now")
    with pytest.raises(ApplicationError) as err:
        api_token_revoke(actor=me, token_id=token.pk)
    assert err.value.kind == ErrorKind.NOT_FOUND
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiToken.objects.filter(organisation=theirs).count() == 1


def test_staff_cannot_issue_tokens():
    org = factories.organisation()
    staff = factories.actor(org, role=Role.STAFF)
    with refused(Forbidden, "forbidden"):
        api_token_issue(actor=staff, organisation=org, name="ERP")


def test_drivers_exist_only_at_carriers():
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    with pytest.raises(ApplicationError) as err:
        user_create(actor=None, organisation=merchant, username="d1", password="x" * 12, role=Role.DRIVER)
    assert err.value.field == "role"
    assert not User.objects.filter(username="d1").exists()
    carrier = factories.organisation(OrganisationKind.CARRIER)
    driver = user_create(actor=None, organisation=carrier, username="d1", password="x" * 12, role=Role.DRIVER)
    assert driver.role == Role.DRIVER
    assert not driver.is_staff


def test_only_platform_users_reach_django_admin():
    platform = factories.organisation(OrganisationKind.PLATFORM)
    assert factories.user(platform, Role.ADMIN).is_superuser
    assert factories.user(platform, Role.STAFF).is_staff
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    merchant_admin = factories.user(merchant, Role.ADMIN)
    assert not merchant_admin.is_staff
    assert not merchant_admin.is_superuser


def test_duplicate_username_is_a_conflict_on_the_field():
    org = factories.organisation()
    factories.user(org, username="alice")
    with refused(Conflict, "username_taken") as err:
        factories.user(org, username="alice")
    assert err.value.field == "username"


def test_user_list_is_scoped_to_the_organisation():
    a, b = factories.organisation(), factories.organisation()
    alice = factories.user(a)
    factories.user(b)
    assert list(user_list(actor=Actor.for_user(alice))) == [alice]
