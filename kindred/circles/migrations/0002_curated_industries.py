from django.db import migrations


def load(apps, schema_editor):
    from kindred.circles.taxonomy import INDUSTRIES

    Industry = apps.get_model("circles", "Industry")
    by_code = {}
    for position, (code, zh, en, synonyms, parent) in enumerate(INDUSTRIES):
        obj, _ = Industry.objects.update_or_create(
            code=code,
            circle=None,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "synonyms": synonyms,
                "parent": by_code.get(parent),
                "position": position,
            },
        )
        by_code[code] = obj


class Migration(migrations.Migration):
    dependencies = [("circles", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
