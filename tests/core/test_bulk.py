"""bulk_insert writes what bulk_create writes and gives the instances their ids, on either database."""

import pytest

from firstmile.accounts.models import Organisation, OrganisationKind
from firstmile.core.bulk import bulk_insert

pytestmark = pytest.mark.django_db


def test_rows_come_back_as_written_with_their_ids():
    made = bulk_insert(
        Organisation,
        [Organisation(kind=OrganisationKind.MERCHANT, code=f"bulk{i}", name=f"商家 {i}\u3000'\"") for i in range(120)],
    )
    assert all(o.pk for o in made) and len({o.pk for o in made}) == 120
    assert not made[0]._state.adding
    stored = {o.pk: o for o in Organisation.objects.filter(code__startswith="bulk")}
    for o in made:
        assert (stored[o.pk].code, stored[o.pk].name, stored[o.pk].kind) == (o.code, o.name, o.kind)
        assert stored[o.pk].created_at == o.created_at  # auto_now_add filled in before writing
    assert bulk_insert(Organisation, []) == []
