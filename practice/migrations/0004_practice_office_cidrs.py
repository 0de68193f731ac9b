from django.db import migrations, models


def copy_networks(apps, schema_editor):
    """Fill the copy from the OfficeNetwork rows that exist."""
    Practice = apps.get_model("practice", "Practice")
    OfficeNetwork = apps.get_model("practice", "OfficeNetwork")
    copies = {}
    for practice_id, cidr in OfficeNetwork.objects.values_list("practice_id", "cidr"):
        copies.setdefault(practice_id, []).append(cidr)
    for practice_id, cidrs in copies.items():
        Practice.objects.filter(pk=practice_id).update(office_cidrs=sorted(cidrs))


class Migration(migrations.Migration):

    dependencies = [
        ("practice", "0003_lifecycle"),
    ]

    operations = [
        migrations.AddField(
            model_name="practice",
            name="office_cidrs",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(copy_networks, migrations.RunPython.noop),
    ]
