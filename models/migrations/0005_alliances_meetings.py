from tortoise import migrations
from tortoise.migrations import operations as ops
from models.alliance import AllianceMemberStatus
from models.meeting import InviteResponse
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('jinlin', '0004_resources_bookings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Alliance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('lead', fields.ForeignKeyField('jinlin.Org', source_field='lead_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'alliance', 'app': 'jinlin', 'pk_attr': 'id', 'table_description': "An alliance led by one org. Its ACTIVE members see each other's PARTNERS-scope resources and projects."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AllianceMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('alliance', fields.ForeignKeyField('jinlin.Alliance', source_field='alliance_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='INVITED: INVITED\nACTIVE: ACTIVE\nDECLINED: DECLINED\nLEFT: LEFT', enum_type=AllianceMemberStatus, max_length=16)),
                ('invited_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('responded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alliance_member', 'app': 'jinlin', 'unique_together': (('alliance_id', 'org_id'),), 'indexes': [Index(fields=['org_id', 'status'])], 'pk_attr': 'id', 'table_description': "One org's place in one alliance (the lead is an ACTIVE member too)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Meeting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('convener', fields.ForeignKeyField('jinlin.Org', source_field='convener_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=100)),
                ('agenda', fields.TextField(default='', unique=False)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('location', fields.CharField(null=True, max_length=200)),
                ('created_by', fields.ForeignKeyField('jinlin.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'meeting', 'app': 'jinlin', 'indexes': [Index(fields=['convener_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A joint meeting convened by a street or community.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MeetingInvitee',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('jinlin.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('response', fields.CharEnumField(default=InviteResponse.PENDING, description='PENDING: PENDING\nATTENDING: ATTENDING\nDECLINED: DECLINED', enum_type=InviteResponse, max_length=16)),
                ('responded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'meeting_invitee', 'app': 'jinlin', 'unique_together': (('meeting_id', 'org_id'),), 'indexes': [Index(fields=['org_id', 'meeting_id'])], 'pk_attr': 'id', 'table_description': 'One invited org: its answer and whether it came.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Resolution',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('jinlin.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('text', fields.TextField(unique=False)),
                ('owner', fields.ForeignKeyField('jinlin.Org', source_field='owner_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('project', fields.ForeignKeyField('jinlin.Project', source_field='project_id', null=True, unique=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'resolution', 'app': 'jinlin', 'indexes': [Index(fields=['meeting_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A decision of a meeting, owned by one org with a due date. It may become a tracked project, once.'},
            bases=['Model'],
        ),
    ]
