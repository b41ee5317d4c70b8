# The forward flow's shared setup: J&T covering Dongguan, a warehouse with pickup
# approved (PICK UP) and one still pending (DROP OFF).
from ..shipping.conftest import CHANGAN, HONGMEI, changan, hongmei, jt, jt_staff, merchant  # noqa: F401
