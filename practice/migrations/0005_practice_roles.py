"""Security roles a practice can shape (PracticeRole)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('practice', '0004_practice_office_cidrs'),
    ]

    operations = [
        migrations.CreateModel(
            name='PracticeRole',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='role name')),
                ('permissions', models.JSONField(blank=True, default=list)),
                ('seeded_as', models.CharField(blank=True, choices=[('admin', 'Administrator'), ('user_manager', 'User manager'), ('user', 'User')], max_length=20)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('practice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='roles', to='practice.practice')),
            ],
            options={
                'ordering': ['name'],
                'constraints': [models.UniqueConstraint(fields=('practice', 'name'), name='role_name_unique'), models.UniqueConstraint(condition=models.Q(('seeded_as', ''), _negated=True), fields=('practice', 'seeded_as'), name='role_seeded_once'), models.CheckConstraint(condition=models.Q(('name', ''), _negated=True), name='role_name_not_empty'), models.CheckConstraint(condition=models.Q(('seeded_as__in', ['admin', 'user_manager', 'user', ''])), name='role_seeded_as_valid')],
            },
        ),
    ]
