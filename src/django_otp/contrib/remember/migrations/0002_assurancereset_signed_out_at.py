from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("otp_remember", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="assurancereset",
            name="signed_out_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="signed out everywhere at"
            ),
        ),
    ]
