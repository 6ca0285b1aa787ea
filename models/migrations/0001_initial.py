from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import ClaimStatus, MemberRole, MemberType, OrgKind, ProjectCategory, ProjectStatus, PropertyManagement
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phone', fields.CharField(max_length=20)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_failure', 'app': 'jinlin', 'indexes': [Index(fields=['phone', 'at'])], 'pk_attr': 'id', 'table_description': 'A wrong password for a phone number, kept to throttle guessing across all workers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Org',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('kind', fields.CharEnumField(description='DISTRICT: DISTRICT\nSTREET_COMMITTEE: STREET_COMMITTEE\nCOMMUNITY_COMMITTEE: COMMUNITY_COMMITTEE\nCOMPOUND_BRANCH: COMPOUND_BRANCH\nPARTNER_UNIT: PARTNER_UNIT\nVOLUNTEER_TEAM: VOLUNTEER_TEAM', enum_type=OrgKind, max_length=24)),
                ('parent', fields.ForeignKeyField('jinlin.Org', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('depth', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'org', 'app': 'jinlin', 'indexes': [Index(fields=['parent_id', 'id']), Index(fields=['kind', 'id'])], 'pk_attr': 'id', 'table_description': 'A district, street work committee, community party committee, compound branch, partner unit or team.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Compound',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('address', fields.CharField(null=True, max_length=200)),
                ('households', fields.IntField(default=0)),
                ('community', fields.ForeignKeyField('jinlin.Org', source_field='community_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('branch', fields.ForeignKeyField('jinlin.Org', source_field='branch_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('has_red_committee', fields.BooleanField(default=False)),
                ('property_management', fields.CharEnumField(default=PropertyManagement.COMPANY, description='COMPANY: COMPANY\nSELF_MANAGED: SELF_MANAGED\nNONE: NONE', enum_type=PropertyManagement, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'compound', 'app': 'jinlin', 'indexes': [Index(fields=['community_id', 'id']), Index(fields=['branch_id', 'id'])], 'pk_attr': 'id', 'table_description': "A 小区: it belongs to one community and may be covered by one of that community's branches."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrgClosure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ancestor', fields.ForeignKeyField('jinlin.Org', source_field='ancestor_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('descendant', fields.ForeignKeyField('jinlin.Org', source_field='descendant_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('depth', fields.IntField()),
            ],
            options={'table': 'org_closure', 'app': 'jinlin', 'unique_together': (('ancestor_id', 'descendant_id'),), 'indexes': [Index(fields=['descendant_id', 'depth'])], 'pk_attr': 'id', 'table_description': 'One row per (ancestor, descendant) pair, self included: subtree and ancestor queries stay one indexed join.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Partnership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('jinlin.Org', source_field='partner_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partnership', 'app': 'jinlin', 'unique_together': (('partner_id', 'org_id'),), 'indexes': [Index(fields=['org_id', 'partner_id'])], 'pk_attr': 'id', 'table_description': 'A partner unit paired with a street or community (结对共建).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phone', fields.CharField(unique=True, max_length=20)),
                ('display_name', fields.CharField(max_length=50)),
                ('password_hash', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'app_user', 'app': 'jinlin', 'pk_attr': 'id', 'table_description': 'A resident, party member or staff member, identified by a unique mobile phone number.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('jinlin.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='ADMIN: ADMIN\nSTAFF: STAFF\nMEMBER: MEMBER\nCOMMISSIONER: COMMISSIONER', enum_type=MemberRole, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'membership', 'app': 'jinlin', 'unique_together': (('user_id', 'org_id'),), 'indexes': [Index(fields=['org_id', 'role', 'id'])], 'pk_attr': 'id', 'table_description': "A user's role in one org (one row per user and org)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Project',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('compound', fields.ForeignKeyField('jinlin.Compound', source_field='compound_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('title', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
                ('category', fields.CharEnumField(description='ELDERLY_CARE: ELDERLY_CARE\nENVIRONMENT: ENVIRONMENT\nSAFETY_PATROL: SAFETY_PATROL\nGARBAGE_SORTING: GARBAGE_SORTING\nEDUCATION: EDUCATION\nHEALTH: HEALTH\nMEDIATION: MEDIATION\nREPAIR: REPAIR\nCULTURE: CULTURE\nOTHER: OTHER', enum_type=ProjectCategory, max_length=24)),
                ('status', fields.CharEnumField(default=ProjectStatus.DRAFT, description='DRAFT: DRAFT\nOPEN: OPEN\nCLOSED: CLOSED\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED', enum_type=ProjectStatus, max_length=16)),
                ('capacity', fields.IntField()),
                ('claimed_count', fields.IntField(default=0)),
                ('claimant_kinds', fields.CharField(default='MEMBER', max_length=32)),
                ('starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('location', fields.CharField(null=True, max_length=200)),
                ('created_by', fields.ForeignKeyField('jinlin.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'project', 'app': 'jinlin', 'indexes': [Index(fields=['org_id', 'status', 'id']), Index(fields=['status', 'id'])], 'pk_attr': 'id', 'table_description': 'A capacity-limited service project, whose `claimed_count` moves only by conditional UPDATEs.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Claim',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('jinlin.Project', source_field='project_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('jinlin.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('claimed_by', fields.ForeignKeyField('jinlin.User', source_field='claimed_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=ClaimStatus.ACTIVE, description='ACTIVE: ACTIVE\nDONE: DONE\nVERIFIED: VERIFIED\nREJECTED: REJECTED\nWITHDRAWN: WITHDRAWN', enum_type=ClaimStatus, max_length=16)),
                ('active_key', fields.CharField(null=True, max_length=32)),
                ('reported_hours', fields.FloatField(null=True)),
                ('verified_hours', fields.FloatField(null=True)),
                ('note', fields.TextField(null=True, unique=False)),
                ('comment', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'claim', 'app': 'jinlin', 'unique_together': (('project_id', 'active_key'),), 'indexes': [Index(fields=['project_id', 'id']), Index(fields=['user_id', 'id']), Index(fields=['org_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A claim on a project by a member or an org. `active_key`, NULL once withdrawn or rejected, is unique per project.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('jti', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('family', fields.CharField(db_index=True, max_length=64)),
                ('user', fields.ForeignKeyField('jinlin.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('spent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'refresh_token', 'app': 'jinlin', 'pk_attr': 'jti', 'table_description': 'One issued refresh token. A family is the chain of rotations of one login, revoked as a whole on reuse.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Registration',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('jinlin.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('branch', fields.ForeignKeyField('jinlin.Org', source_field='branch_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('member_type', fields.CharEnumField(description='IN_SERVICE: IN_SERVICE\nRETIRED: RETIRED\nFLOATING: FLOATING', enum_type=MemberType, max_length=16)),
                ('work_unit', fields.CharField(null=True, max_length=100)),
                ('registered_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('active_user_id', fields.IntField(null=True, unique=True)),
            ],
            options={'table': 'registration', 'app': 'jinlin', 'indexes': [Index(fields=['branch_id', 'id']), Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One registration (history is kept). `active_user_id`, unique and NULL once ended, allows one active per user.'},
            bases=['Model'],
        ),
    ]
