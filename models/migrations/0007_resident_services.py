from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import ProjectCategory
from models.opinion import OpinionChannel, OpinionStatus
from models.order import OrderAction, OrderStatus
from models.poll import PollRule, PollStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('jinlin', '0006_duty_rotation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Household',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('compound', fields.ForeignKeyField('jinlin.Compound', source_field='compound_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('unit', fields.CharField(max_length=50)),
                ('area_sqm', fields.FloatField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'household', 'app': 'jinlin', 'unique_together': (('compound_id', 'unit'),), 'pk_attr': 'id', 'table_description': 'One dwelling (building, unit and room as people write it) of a compound, with its floor area.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HouseholdMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('household', fields.ForeignKeyField('jinlin.Household', source_field='household_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('jinlin.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'household_member', 'app': 'jinlin', 'unique_together': (('household_id', 'user_id'),), 'indexes': [Index(fields=['user_id', 'household_id'])], 'pk_attr': 'id', 'table_description': 'A resident living in a household (a person may live in several).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Opinion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('text', fields.TextField(unique=False)),
                ('category', fields.CharEnumField(null=True, description='ELDERLY_CARE: ELDERLY_CARE\nENVIRONMENT: ENVIRONMENT\nSAFETY_PATROL: SAFETY_PATROL\nGARBAGE_SORTING: GARBAGE_SORTING\nEDUCATION: EDUCATION\nHEALTH: HEALTH\nMEDIATION: MEDIATION\nREPAIR: REPAIR\nCULTURE: CULTURE\nOTHER: OTHER', enum_type=ProjectCategory, max_length=24)),
                ('compound', fields.ForeignKeyField('jinlin.Compound', source_field='compound_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('channel', fields.CharEnumField(description='APP: APP\nHOME_VISIT: HOME_VISIT\nMEETING: MEETING\nHOTLINE: HOTLINE', enum_type=OpinionChannel, max_length=16)),
                ('anonymous', fields.BooleanField(default=False)),
                ('author', fields.ForeignKeyField('jinlin.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('contact_phone', fields.CharField(null=True, max_length=20)),
                ('recorded_by', fields.ForeignKeyField('jinlin.User', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=OpinionStatus.OPEN, description='OPEN: OPEN\nASSIGNED: ASSIGNED\nREPLIED: REPLIED\nCLOSED: CLOSED', enum_type=OpinionStatus, max_length=16)),
                ('assignee', fields.ForeignKeyField('jinlin.Org', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('first_reply_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'opinion', 'app': 'jinlin', 'indexes': [Index(fields=['org_id', 'id']), Index(fields=['author_id', 'id']), Index(fields=['assignee_id', 'id'])], 'pk_attr': 'id', 'table_description': "An opinion or need, owned by an org (the compound's community, or the org that heard it)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OpinionReply',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('opinion', fields.ForeignKeyField('jinlin.Opinion', source_field='opinion_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('author', fields.ForeignKeyField('jinlin.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'opinion_reply', 'app': 'jinlin', 'indexes': [Index(fields=['opinion_id', 'id'])], 'pk_attr': 'id', 'table_description': 'An answer to an opinion, on behalf of an org.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Poll',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('compound', fields.ForeignKeyField('jinlin.Compound', source_field='compound_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=PollStatus.DRAFT, description='DRAFT: DRAFT\nOPEN: OPEN\nCLOSED: CLOSED', enum_type=PollStatus, max_length=8)),
                ('rule', fields.CharEnumField(default=PollRule.SIMPLE_MAJORITY, description='SIMPLE_MAJORITY: SIMPLE_MAJORITY\nDOUBLE_MAJORITY: DOUBLE_MAJORITY', enum_type=PollRule, max_length=16)),
                ('quorum_percent', fields.IntField(default=50)),
                ('opens_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('jinlin.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('opened_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'poll', 'app': 'jinlin', 'indexes': [Index(fields=['compound_id', 'status', 'id'])], 'pk_attr': 'id', 'table_description': "A vote of a compound's households."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PollOption',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('poll', fields.ForeignKeyField('jinlin.Poll', source_field='poll_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=100)),
                ('position', fields.IntField()),
            ],
            options={'table': 'poll_option', 'app': 'jinlin', 'unique_together': (('poll_id', 'position'),), 'pk_attr': 'id', 'table_description': 'One choice of a poll, in the order given.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceOffering',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.ForeignKeyField('jinlin.Org', source_field='provider_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=100)),
                ('category', fields.CharEnumField(description='ELDERLY_CARE: ELDERLY_CARE\nENVIRONMENT: ENVIRONMENT\nSAFETY_PATROL: SAFETY_PATROL\nGARBAGE_SORTING: GARBAGE_SORTING\nEDUCATION: EDUCATION\nHEALTH: HEALTH\nMEDIATION: MEDIATION\nREPAIR: REPAIR\nCULTURE: CULTURE\nOTHER: OTHER', enum_type=ProjectCategory, max_length=24)),
                ('price_fen', fields.IntField()),
                ('unit', fields.CharField(max_length=20)),
                ('description', fields.TextField(default='', unique=False)),
                ('approved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('approved_by', fields.ForeignKeyField('jinlin.User', source_field='approved_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'service_offering', 'app': 'jinlin', 'indexes': [Index(fields=['provider_id', 'id'])], 'pk_attr': 'id', 'table_description': "A provider's service at a posted price, seen by residents once a community's staff approved it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resident', fields.ForeignKeyField('jinlin.User', source_field='resident_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('compound', fields.ForeignKeyField('jinlin.Compound', source_field='compound_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('community', fields.ForeignKeyField('jinlin.Org', source_field='community_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('category', fields.CharEnumField(description='ELDERLY_CARE: ELDERLY_CARE\nENVIRONMENT: ENVIRONMENT\nSAFETY_PATROL: SAFETY_PATROL\nGARBAGE_SORTING: GARBAGE_SORTING\nEDUCATION: EDUCATION\nHEALTH: HEALTH\nMEDIATION: MEDIATION\nREPAIR: REPAIR\nCULTURE: CULTURE\nOTHER: OTHER', enum_type=ProjectCategory, max_length=24)),
                ('description', fields.TextField(unique=False)),
                ('offering', fields.ForeignKeyField('jinlin.ServiceOffering', source_field='offering_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('preferred_time', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=OrderStatus.SUBMITTED, description='SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nCOMPLETED: COMPLETED\nCONFIRMED: CONFIRMED\nCANCELLED: CANCELLED', enum_type=OrderStatus, max_length=16)),
                ('provider', fields.ForeignKeyField('jinlin.Org', source_field='provider_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('price_fen', fields.IntField(null=True)),
                ('rating', fields.IntField(null=True)),
                ('comment', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'resident_order', 'app': 'jinlin', 'indexes': [Index(fields=['resident_id', 'id']), Index(fields=['community_id', 'id']), Index(fields=['provider_id', 'id'])], 'pk_attr': 'id', 'table_description': "A resident's request for a service, dispatched by the community to a provider at a price."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('jinlin.Order', source_field='order_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='PLACED: PLACED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nDECLINED: DECLINED\nSTARTED: STARTED\nCOMPLETED: COMPLETED\nCONFIRMED: CONFIRMED\nCANCELLED: CANCELLED', enum_type=OrderAction, max_length=16)),
                ('status', fields.CharEnumField(description='SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nCOMPLETED: COMPLETED\nCONFIRMED: CONFIRMED\nCANCELLED: CANCELLED', enum_type=OrderStatus, max_length=16)),
                ('actor', fields.ForeignKeyField('jinlin.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('provider_id', fields.IntField(null=True)),
                ('note', fields.TextField(null=True, unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'order_event', 'app': 'jinlin', 'indexes': [Index(fields=['order_id', 'id'])], 'pk_attr': 'id', 'table_description': "One step of an order's history, appended and never changed."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Vote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('poll', fields.ForeignKeyField('jinlin.Poll', source_field='poll_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('option', fields.ForeignKeyField('jinlin.PollOption', source_field='option_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('household', fields.ForeignKeyField('jinlin.Household', source_field='household_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('jinlin.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('area_sqm', fields.FloatField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'vote', 'app': 'jinlin', 'unique_together': (('poll_id', 'household_id'),), 'indexes': [Index(fields=['option_id'])], 'pk_attr': 'id', 'table_description': "A household's vote, cast by one of its residents, with the household's area as it was then."},
            bases=['Model'],
        ),
    ]
