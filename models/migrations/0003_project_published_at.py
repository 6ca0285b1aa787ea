from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('jinlin', '0002_projects_notifications_audit')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Project',
            name='published_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Projects published before this column existed: their creation is the best date known.
        ops.RunSQL("UPDATE project SET published_at = created_at WHERE status <> 'DRAFT'", reverse_sql=""),
    ]
