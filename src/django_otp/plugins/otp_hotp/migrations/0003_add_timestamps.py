from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("otp_hotp", "0002_auto_20190420_0723"),
    ]

    operations = [
        migrations.AddField(
            model_name="hotpdevice",
            name="created_at",
            field=models.DateTimeField(
                auto_now_add=True,
                help_text="The date and time when this device was initially created in the system.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="hotpdevice",
            name="last_used_at",
            field=models.DateTimeField(
                blank=True,
                help_text="The most recent date and time this device was used.",
                null=True,
            ),
        ),
    ]
