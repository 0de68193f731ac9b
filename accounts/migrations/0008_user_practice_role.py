"""Users get a role of their practice (PracticeRole); filled in by 0009, required by 0010."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_lifecycle'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('practice', '0005_practice_roles'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='practice_role',
            field=models.ForeignKey(blank=True, help_text='Empty only for support staff.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='users', to='practice.practicerole', verbose_name='role'),
        ),
        migrations.AlterField(
            model_name='user',
            name='role',
            field=models.CharField(choices=[('admin', 'Administrator'), ('user_manager', 'User manager'), ('user', 'User')], default='user', editable=False, max_length=20, verbose_name='role tier'),
        ),
    ]
