"""Rows held until the transaction that names them commits."""

from __future__ import annotations

from django.db import connection


def hold(model, pks) -> set[int]:
    """Hold these rows until the save commits, as the foreign key will
    (PostgreSQL's FOR KEY SHARE: other saves naming them go on, a deletion
    waits); the ids still there. A deletion committed between the form's
    check and the save otherwise broke the foreign key at COMMIT (a 500, the
    editor's text lost). SQLite's IMMEDIATE transactions already serialise
    the two, so there it is only the check."""
    pks = list(pks)
    if not pks:
        return set()
    query = model.objects.filter(pk__in=pks).order_by("pk").values_list("pk")
    sql, params = query.query.sql_with_params()
    if connection.vendor == "postgresql":
        sql += " FOR KEY SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk for (pk,) in cursor.fetchall()}
