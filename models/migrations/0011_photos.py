from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('jinlin', '0010_idempotency_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Photo',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sha256', fields.CharField(description='Hex SHA-256 of the file, its name on disk', max_length=64)),
                ('content_type', fields.CharField(description='image/jpeg, image/png or image/webp', max_length=16)),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('size_bytes', fields.IntField()),
                ('uploaded_by', fields.ForeignKeyField('jinlin.User', source_field='uploaded_by_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('order', fields.ForeignKeyField('jinlin.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('opinion', fields.ForeignKeyField('jinlin.Opinion', source_field='opinion_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField(description='0 to 5, the order of upload')),
            ],
            options={'table': 'photo', 'app': 'jinlin', 'unique_together': (('order_id', 'position'), ('opinion_id', 'position')), 'indexes': [Index(fields=['sha256'])], 'pk_attr': 'id', 'table_description': 'A photo of an order or of an opinion (exactly one of the two), in the order it was uploaded.'},
            bases=['Model'],
        ),
    ]
