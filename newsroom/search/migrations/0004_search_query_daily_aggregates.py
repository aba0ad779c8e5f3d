"""The query log becomes daily aggregates: one row per query and day."""

from django.db import migrations, models


def to_days(apps, schema_editor):
    SearchQuery = apps.get_model("search", "SearchQuery")
    totals: dict[tuple[str, object], list[int]] = {}
    for query, searched_at, results in SearchQuery.objects.values_list(
        "query", "searched_at", "results"
    ).iterator():
        row = totals.setdefault((query, searched_at.date()), [0, 0, 0])
        row[0] += 1
        row[1] += results == 0
        row[2] = max(row[2], results)
    SearchQuery.objects.all().delete()
    SearchQuery.objects.bulk_create(
        [
            SearchQuery(
                query=query,
                searched_at=day,
                day=day,
                searches=searches,
                zero_hits=zero,
                results=most,
            )
            for (query, day), (searches, zero, most) in totals.items()
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("search", "0003_search_nodes")]

    operations = [
        migrations.AddField(
            model_name="searchquery",
            name="day",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="searchquery",
            name="searches",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="searchquery",
            name="zero_hits",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(to_days, migrations.RunPython.noop),
        migrations.RemoveField(model_name="searchquery", name="searched_at"),
        migrations.AlterField(
            model_name="searchquery",
            name="day",
            field=models.DateField(db_index=True),
        ),
        migrations.AlterField(
            model_name="searchquery",
            name="query",
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="searchquery",
            name="results",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterModelOptions(
            name="searchquery",
            options={
                "ordering": ["-day", "-searches"],
                "verbose_name": "search query",
                "verbose_name_plural": "search queries",
            },
        ),
        migrations.AddConstraint(
            model_name="searchquery",
            constraint=models.UniqueConstraint(
                fields=("query", "day"), name="search_query_day"
            ),
        ),
    ]
