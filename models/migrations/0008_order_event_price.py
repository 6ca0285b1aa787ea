from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('jinlin', '0007_resident_services')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OrderEvent',
            name='price_fen',
            field=fields.IntField(null=True),
        ),
    ]
