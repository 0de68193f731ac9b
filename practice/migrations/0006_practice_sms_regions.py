"""The countries text and voice codes may go to: two-letter country codes, not calling codes.

"1" was written for the US and Canada but matched every country of the North American
Numbering Plan, 25 of them, Jamaica and the Dominican Republic among them: it becomes "US, CA".
Any other calling code becomes every country that dials it, so the numbers it allowed stay
allowed ("44" becomes "GB, GG, IM, JE"). Text that was no calling code allowed nothing, and
still allows nothing. Backwards, each country becomes its calling code again.

Also the practice-wide cap on text and voice codes an hour.
"""

import django.core.validators
import phonenumbers
from django.db import migrations, models

import practice.validators

# What a practice meant by "1" (the field's own help text said "1 = US and Canada").
NORTH_AMERICA = ["US", "CA"]


def regions_from_calling_codes(text: str) -> str:
    regions = []
    for part in text.split(","):
        code = part.strip().lstrip("+")
        if not code.isdigit():
            continue
        if code == "1":
            regions.extend(NORTH_AMERICA)
        else:
            regions.extend(phonenumbers.region_codes_for_country_code(int(code)))
    return ", ".join(dict.fromkeys(regions))


def calling_codes_from_regions(text: str) -> str:
    codes = []
    for part in text.split(","):
        code = phonenumbers.country_code_for_region(part.strip().upper())
        if code:
            codes.append(str(code))
    return ", ".join(dict.fromkeys(codes))


def forwards(apps, schema_editor):
    Practice = apps.get_model("practice", "Practice")
    for practice in Practice.objects.only("sms_country_codes"):
        practice.sms_regions = regions_from_calling_codes(practice.sms_country_codes)
        practice.save(update_fields=["sms_regions"])


def backwards(apps, schema_editor):
    Practice = apps.get_model("practice", "Practice")
    for practice in Practice.objects.only("sms_regions"):
        practice.sms_country_codes = calling_codes_from_regions(practice.sms_regions)
        practice.save(update_fields=["sms_country_codes"])


class Migration(migrations.Migration):

    dependencies = [
        ("practice", "0005_practice_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="practice",
            name="sms_regions",
            field=models.CharField(
                blank=True,
                default="US, CA",
                help_text="Two-letter country codes, comma-separated, such as US, CA. Not calling "
                "codes: +1 also reaches Jamaica, the Dominican Republic and 21 other countries "
                "and territories.",
                max_length=200,
                validators=[practice.validators.validate_regions],
                verbose_name="countries allowed for text and voice codes",
            ),
        ),
        migrations.AddField(
            model_name="practice",
            name="sms_hourly_limit",
            field=models.PositiveIntegerField(
                default=100,
                help_text="Beside each user's own limits: past it, codes wait for the next hour.",
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="text and voice codes an hour, for the whole practice",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name="practice",
            name="sms_country_codes",
        ),
        migrations.AddConstraint(
            model_name="practice",
            constraint=models.CheckConstraint(
                condition=models.Q(("sms_hourly_limit__gte", 1)),
                name="practice_sms_hourly_limit_gte_1",
            ),
        ),
    ]
