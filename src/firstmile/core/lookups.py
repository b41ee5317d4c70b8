"""``field__in_array=[…]``: membership in a long list of values.

On PostgreSQL it is ``field = ANY(%s)`` with the list as one array parameter,
which plans and runs faster than ``IN (%s, %s, … ×10,000)``; elsewhere it is the
ordinary IN list. Bulk operations over thousands of ids use it.

``RowCompare``: the keyset condition of cursor pages as one row comparison.
"""

from django.db.models import BooleanField, Expression, Field
from django.db.models.lookups import In


@Field.register_lookup
class InArray(In):
    lookup_name = "in_array"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in self.rhs]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


class RowCompare(Expression):
    """``(a, b) < (x, y)`` (or ``>``): the keyset condition of a cursor page, as one SQL row comparison.

    The same rows as ``a < x OR (a = x AND b < y)``, and PostgreSQL and SQLite both
    start an index scan on ``(…, a, b)`` at the row. The fields must be columns of
    the queried model itself (no joins): they are looked up once on its _meta, not
    resolved as F() expressions, because that resolution (copies, join setup) was
    most of what page 1,000 cost over page 1 in bench/reverse_list.py's deep pages.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, fields: tuple[str, ...], values: tuple, *, before: bool) -> None:
        super().__init__()
        self.names = tuple(fields)
        self.values = tuple(values)
        self.before = before
        self.columns: list = []

    def get_source_expressions(self):
        return []

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        opts = query.get_meta()
        resolved.columns = [opts.pk if name == "pk" else opts.get_field(name) for name in self.names]
        if any(not getattr(f, "concrete", False) or f.model is not opts.model for f in resolved.columns):
            raise ValueError(f"RowCompare takes columns of {opts.label} itself, not {self.names}")
        return resolved

    def as_sql(self, compiler, connection):
        qn = compiler.quote_name_unless_alias
        table = qn(compiler.query.base_table)
        left = [f"{table}.{qn(field.column)}" for field in self.columns]
        params = [field.get_db_prep_value(v, connection) for field, v in zip(self.columns, self.values, strict=True)]
        operator = "<" if self.before else ">"
        return f"({', '.join(left)}) {operator} ({', '.join(['%s'] * len(left))})", params
