from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")  # 省级: 广东省
    CITY = "city", _("City")  # 地级: 东莞市
    COUNTY = "county", _("County")  # 县级: 福田区; 东莞 and 中山 have none
    TOWN = "town", _("Town / street")  # 乡级: 洪梅镇, 南园街道


class Division(models.Model):
    """An administrative division of China (GB/T 2260 code; 9 digits at town level).

    Reference data loaded from geo/data/divisions.csv, never edited by hand. A
    division's parent may skip a level: 东莞市's towns hang straight off the city,
    and Beijing's districts off the municipality.
    """

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64, db_index=True)
    level = models.CharField(_("level"), max_length=16, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
