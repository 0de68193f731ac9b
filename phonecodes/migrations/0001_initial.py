import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """PhoneCode moves from mfa to this app: the table (mfa_phonecode) stays where it is; only
    Django's idea of which app owns the model changes (mfa's 0003 drops it from mfa's state)."""

    initial = True

    dependencies = [
        ("mfa", "0002_devices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PhoneCode",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("purpose", models.CharField(max_length=100)),
                        ("number", models.CharField(max_length=16)),
                        ("channel", models.CharField(choices=[("sms", "Text message"), ("voice", "Voice call")], max_length=5)),
                        ("status", models.CharField(choices=[("sending", "Sending"), ("sent", "Sent"), ("failed", "Could not send"), ("opted_out", "Number opted out")], default="sending", max_length=10)),
                        ("code_hash", models.CharField(max_length=64)),
                        ("created_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField()),
                        ("used_at", models.DateTimeField(blank=True, null=True)),
                        ("superseded_at", models.DateTimeField(blank=True, null=True)),
                        ("failed_attempts", models.PositiveSmallIntegerField(default=0)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="phone_codes", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "mfa_phonecode",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [models.Index(fields=["user", "purpose", "-created_at"], name="phone_code_user_purpose"), models.Index(fields=["user", "-created_at"], name="phone_code_user_time"), models.Index(fields=["number", "-created_at"], name="phone_code_number_time")],
                        "constraints": [models.CheckConstraint(condition=models.Q(("channel__in", ["sms", "voice"])), name="phone_code_channel_valid"), models.CheckConstraint(condition=models.Q(("status__in", ["sending", "sent", "failed", "opted_out"])), name="phone_code_status_valid")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
