from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('jinlin', '0005_alliances_meetings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DutyShift',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('jinlin.Org', source_field='centre_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('jinlin.Org', source_field='unit_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('duty_date', fields.DateField()),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_in_by', fields.ForeignKeyField('jinlin.User', source_field='checked_in_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'duty_shift', 'app': 'jinlin', 'unique_together': (('unit_id', 'duty_date'),), 'indexes': [Index(fields=['centre_id', 'duty_date', 'id']), Index(fields=['duty_date', 'id'])], 'pk_attr': 'id', 'table_description': 'One partner unit on duty at one centre on one day.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DutySwapConsent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shift', fields.ForeignKeyField('jinlin.DutyShift', source_field='shift_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('with_shift', fields.ForeignKeyField('jinlin.DutyShift', source_field='with_shift_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('unit_id', fields.IntField()),
                ('with_unit_id', fields.IntField()),
                ('given_by', fields.ForeignKeyField('jinlin.User', source_field='given_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'duty_swap_consent', 'app': 'jinlin', 'unique_together': (('shift_id', 'with_shift_id'),), 'indexes': [Index(fields=['with_shift_id', 'shift_id'])], 'pk_attr': 'id', 'table_description': "A unit's consent to trade its shift for another: the swap happens once both units have consented."},
            bases=['Model'],
        ),
    ]
