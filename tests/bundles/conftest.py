import pytest
import time_machine

from firstmile.dispatch.models import PickupTask
from firstmile.dispatch.services import day_plan

from ..dispatch.conftest import crew, dispatcher  # noqa: F401
from ..dispatch.test_services import MONDAY, _as_driver, _ship
from ..shipping.conftest import CHANGAN, HONGMEI, changan, hongmei, jt, jt_staff, merchant  # noqa: F401


@pytest.fixture
def labels(merchant, hongmei):  # noqa: F811
    """Five PICK UP labels of the Hongmei warehouse, printed on Monday."""
    with time_machine.travel(MONDAY, tick=False):
        return _ship(merchant, 5)


@pytest.fixture
def stop(labels, dispatcher, crew):  # noqa: F811
    """Monday's stop at Hongmei with its driver."""
    with time_machine.travel(MONDAY, tick=False):
        day_plan(actor=dispatcher)
    task = PickupTask.objects.get()
    return {"task": task, "driver": _as_driver(task.shift.driver)}
