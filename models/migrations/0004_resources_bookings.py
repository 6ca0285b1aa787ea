from tortoise import migrations
from tortoise.migrations import operations as ops
from models.resource import BookingStatus, ResourceKind, ShareScope
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('jinlin', '0003_project_published_at')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Resource',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('jinlin.Org', source_field='owner_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('kind', fields.CharEnumField(description='VENUE: VENUE\nEQUIPMENT: EQUIPMENT\nVEHICLE: VEHICLE\nFUNDS: FUNDS\nEXPERTISE: EXPERTISE\nSERVICE: SERVICE', enum_type=ResourceKind, max_length=16)),
                ('quantity', fields.IntField(default=1)),
                ('share_scope', fields.CharEnumField(default=ShareScope.SUBTREE, description='SUBTREE: SUBTREE\nPARTNERS: PARTNERS\nDISTRICT: DISTRICT', enum_type=ShareScope, max_length=16)),
                ('description', fields.TextField(null=True, unique=False)),
                ('location', fields.CharField(null=True, max_length=200)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lock_version', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'resource', 'app': 'jinlin', 'indexes': [Index(fields=['owner_id', 'id']), Index(fields=['share_scope', 'id'])], 'pk_attr': 'id', 'table_description': 'Something an org offers to others. `lock_version` is bumped by every approval to serialise them.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Booking',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resource', fields.ForeignKeyField('jinlin.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('for_org', fields.ForeignKeyField('jinlin.Org', source_field='for_org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('requested_by', fields.ForeignKeyField('jinlin.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('project', fields.ForeignKeyField('jinlin.Project', source_field='project_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('quantity', fields.IntField(default=1)),
                ('status', fields.CharEnumField(default=BookingStatus.PENDING, description='PENDING: PENDING\nAPPROVED: APPROVED\nREJECTED: REJECTED\nCANCELLED: CANCELLED', enum_type=BookingStatus, max_length=16)),
                ('purpose', fields.CharField(null=True, max_length=200)),
                ('reason', fields.CharField(null=True, max_length=200)),
                ('decided_by', fields.ForeignKeyField('jinlin.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'booking', 'app': 'jinlin', 'indexes': [Index(fields=['resource_id', 'status', 'starts_at']), Index(fields=['for_org_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A request to use some quantity of a resource over [starts_at, ends_at) for an org.'},
            bases=['Model'],
        ),
    ]
