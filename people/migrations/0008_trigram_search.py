import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

import esn.textsearch


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0007_user_search_name"),
    ]

    operations = [
        # PostgreSQL cannot change a generated column's expression: drop it and add it back
        # with name separators (. ' - _) as spaces.
        migrations.RemoveField(model_name="user", name="search_name"),
        migrations.AddField(
            model_name="user",
            name="search_name",
            field=models.GeneratedField(
                db_persist=True,
                expression=esn.textsearch.name_words("first_name", "last_name", "username"),
                output_field=models.TextField(),
            ),
        ),
        # The pickers' word-start tests are answered from trigram indexes.
        TrigramExtension(),
        migrations.AddIndex(
            model_name="user",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_name"], name="people_user_search_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
