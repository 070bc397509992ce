from django.db import models


class FloorReading(models.Model):
    """One stored reading: a few columns like `treatments.VitalReading`'s hot ones."""

    session_id = models.BigIntegerField()
    taken_at = models.DateTimeField()
    systolic = models.IntegerField(null=True)
    diastolic = models.IntegerField(null=True)
    heart_rate = models.IntegerField(null=True)

    class Meta:
        app_label = "floor_app"
        db_table = "bench_floor_reading"

    def __str__(self) -> str:
        return f"reading {self.pk}"
