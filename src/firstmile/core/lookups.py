"""``field__in_array=[…]``: membership in a long list of values.

On PostgreSQL it is ``field = ANY(%s)`` with the list as one array parameter,
which plans and runs faster than ``IN (%s, %s, … ×10,000)``; elsewhere it is the
ordinary IN list. Bulk operations over thousands of ids use it.

``RowCompare``: the keyset condition of cursor pages as one row comparison.
"""

from django.db.models import BooleanField, Expression, F, Field, Value
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
    start an index scan on ``(…, a, b)`` at the row; it also compiles in a fraction
    of the time of the equivalent Q() tree (measured in bench/reverse_list.py's deep
    pages, where that compilation was the only cost page 1,000 had over page 1).
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, fields: tuple[str, ...], values: tuple, *, before: bool) -> None:
        super().__init__()
        self.fields = [F(name) for name in fields]
        self.values = [Value(v) for v in values]
        self.before = before

    def get_source_expressions(self):
        return [*self.fields, *self.values]

    def set_source_expressions(self, exprs):
        n = len(self.fields)
        self.fields, self.values = list(exprs[:n]), list(exprs[n:])

    def as_sql(self, compiler, connection):
        left, right, params = [], [], []
        for expr in self.fields:
            sql, p = compiler.compile(expr)
            left.append(sql)
            params.extend(p)
        for field_expr, value in zip(self.fields, self.values, strict=True):
            prepared = field_expr.output_field.get_db_prep_value(value.value, connection)
            right.append("%s")
            params.append(prepared)
        operator = "<" if self.before else ">"
        return f"({', '.join(left)}) {operator} ({', '.join(right)})", params
