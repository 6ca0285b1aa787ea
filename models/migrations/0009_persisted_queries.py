from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('jinlin', '0008_order_event_price')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PersistedQuery',
            fields=[
                ('sha256', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('query', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'persisted_query', 'app': 'jinlin', 'pk_attr': 'sha256', 'table_description': 'One registered document, keyed by the hex SHA-256 of its exact text.'},
            bases=['Model'],
        ),
    ]
