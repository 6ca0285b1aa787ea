from tortoise import migrations
from tortoise.migrations import operations as ops
from models.notification import NotificationKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('jinlin', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('jinlin.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(max_length=64)),
                ('object_id', fields.CharField(null=True, max_length=100)),
                ('outcome', fields.CharField(max_length=200)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_entry', 'app': 'jinlin', 'indexes': [Index(fields=['org_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One mutation as it happened. Rows are only ever inserted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('jinlin.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='CLAIM_CREATED: CLAIM_CREATED\nCLAIM_WITHDRAWN: CLAIM_WITHDRAWN\nCLAIM_DONE: CLAIM_DONE\nCLAIM_VERIFIED: CLAIM_VERIFIED\nCLAIM_REJECTED: CLAIM_REJECTED\nPROJECT_CLOSED: PROJECT_CLOSED\nPROJECT_COMPLETED: PROJECT_COMPLETED\nPROJECT_CANCELLED: PROJECT_CANCELLED', enum_type=NotificationKind, max_length=32)),
                ('project', fields.ForeignKeyField('jinlin.Project', source_field='project_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('claim', fields.ForeignKeyField('jinlin.Claim', source_field='claim_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('jinlin.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification', 'app': 'jinlin', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One message for one user, about a project and possibly one claim on it.'},
            bases=['Model'],
        ),
    ]
