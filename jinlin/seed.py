"""Demo and Siming-scale data sets: the real names of the Siming report, bulk-inserted in one transaction."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from tortoise.transactions import in_transaction

from auth.passwords import hash_password_sync
from jinlin import db
from models.compound import Compound
from models.household import Household, HouseholdMember
from models.opinion import Opinion, OpinionChannel, OpinionReply, OpinionStatus
from models.order import Order, OrderAction, OrderEvent, OrderStatus, ServiceOffering
from models.poll import Poll, PollOption, PollRule, PollStatus, Vote
from models import duty as duty_model
from models.duty import DutyShift
from models.enums import ClaimStatus, MemberRole, MemberType, OrgKind, ProjectCategory, ProjectStatus, PropertyManagement
from models.alliance import Alliance, AllianceMember, AllianceMemberStatus
from models.meeting import InviteResponse, Meeting, MeetingInvitee, Resolution
from models.org import Org, OrgClosure, Partnership, pause_stats, rebuild_stats
from models.project import Claim, Project
from models.resource import Resource, ResourceKind, ShareScope
from models.registration import Registration
from models.user import Membership, User

DEMO_PASSWORD = "jinlin-demo"
SCALES = ("demo", "siming")

# The ten streets (街道) of Siming District.
SIMING_STREETS = ["嘉莲街道", "厦港街道", "鹭江街道", "中华街道", "开元街道", "滨海街道", "梧村街道",
                  "筼筜街道", "莲前街道", "鼓浪屿街道"]
# Siming at the report's scale.
SIMING_COMPOUNDS, SIMING_BRANCHES, SIMING_RED, SIMING_COMMUNITIES = 760, 696, 331, 100
SIMING_MEMBERS, SIMING_PARTNERS, SIMING_PROJECTS = 11_000, 1_420, 7_200
SIMING_COMMISSIONERS = 1_200
# Every community's service centre has a roster of its paired units, two weeks back (served) and ahead.
ROSTER_DAYS_BACK, ROSTER_DAYS_AHEAD = 14, 14


class SeedError(Exception):
    """The database is not empty, or the scale is unknown."""


@dataclass
class _Plan:
    """Rows to insert, with ids assigned here so that closure rows and links need no round trips."""

    orgs: list[Org] = field(default_factory=list)
    closure: list[OrgClosure] = field(default_factory=list)
    pairs: list[Partnership] = field(default_factory=list)
    compounds: list[Compound] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    alliances: list[Alliance] = field(default_factory=list)
    alliance_members: list[AllianceMember] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    invitees: list[MeetingInvitee] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    shifts: list[DutyShift] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    household_members: list[HouseholdMember] = field(default_factory=list)
    offerings: list[ServiceOffering] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    order_events: list[OrderEvent] = field(default_factory=list)
    opinions: list[Opinion] = field(default_factory=list)
    opinion_replies: list[OpinionReply] = field(default_factory=list)
    polls: list[Poll] = field(default_factory=list)
    poll_options: list[PollOption] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    ancestors: dict[int, list[int]] = field(default_factory=dict)
    password_hash: str = ""
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def org(self, name: str, kind: OrgKind, parent: Org | None = None) -> Org:
        org = Org(id=len(self.orgs) + 1, name=name, kind=kind, parent_id=parent.id if parent else None,
                  depth=parent.depth + 1 if parent else 0, created_at=self.now)
        self.orgs.append(org)
        lineage = [*self.ancestors.get(parent.id, []), parent.id] if parent else []
        self.ancestors[org.id] = lineage
        for depth, ancestor in enumerate([org.id, *reversed(lineage)]):
            self.closure.append(OrgClosure(id=len(self.closure) + 1, ancestor_id=ancestor,
                                           descendant_id=org.id, depth=depth))
        return org

    def compound(self, name: str, community: Org, branch: Org | None, *, households: int, red: bool,
                 pm: PropertyManagement = PropertyManagement.COMPANY, address: str | None = None) -> Compound:
        c = Compound(id=len(self.compounds) + 1, name=name, community_id=community.id,
                     branch_id=branch.id if branch else None, households=households, has_red_committee=red,
                     property_management=pm, address=address, created_at=self.now)
        self.compounds.append(c)
        return c

    def user(self, phone: str, name: str) -> User:
        u = User(id=len(self.users) + 1, phone=phone, display_name=name, password_hash=self.password_hash,
                 created_at=self.now)
        self.users.append(u)
        return u

    def member(self, user: User, org: Org, role: MemberRole) -> None:
        self.memberships.append(Membership(id=len(self.memberships) + 1, user_id=user.id, org_id=org.id,
                                           role=role, created_at=self.now))

    def register(self, user: User, branch: Org, member_type: MemberType, work_unit: str | None = None) -> None:
        self.registrations.append(Registration(
            id=len(self.registrations) + 1, user_id=user.id, branch_id=branch.id, member_type=member_type,
            work_unit=work_unit, registered_at=self.now, active_user_id=user.id))
        self.member(user, branch, MemberRole.MEMBER)

    def project(self, org: Org, title: str, category: ProjectCategory, capacity: int, *, kinds: str = "MEMBER",
                description: str = "", location: str | None = None, compound: Compound | None = None,
                status: ProjectStatus = ProjectStatus.OPEN, created_by: User | None = None) -> Project:
        p = Project(id=len(self.projects) + 1, org_id=org.id, title=title, description=description,
                    category=category, status=status, capacity=capacity, claimed_count=0, claimant_kinds=kinds,
                    location=location, compound_id=compound.id if compound else None,
                    created_by_id=created_by.id if created_by else None, created_at=self.now,
                    published_at=None if status is ProjectStatus.DRAFT else self.now)
        self.projects.append(p)
        return p

    def claim(self, project: Project, user: User, *, status: ClaimStatus = ClaimStatus.ACTIVE,
              hours: float | None = None) -> None:
        live = status in (ClaimStatus.ACTIVE, ClaimStatus.DONE, ClaimStatus.VERIFIED)
        self.claims.append(Claim(
            id=len(self.claims) + 1, project_id=project.id, user_id=user.id, claimed_by_id=user.id, status=status,
            active_key=f"u:{user.id}" if live else None,
            reported_hours=hours if status in (ClaimStatus.DONE, ClaimStatus.VERIFIED) else None,
            verified_hours=hours if status is ClaimStatus.VERIFIED else None, created_at=self.now,
            updated_at=self.now))
        project.claimed_count += 1 if live else 0

    def roster(self, centre: Org, units: list[Org], *, start: date, days: int, per_day: int, served_before: date,
               checked_in_by: User | None = None) -> None:
        """A centre's rotation, planned by the same even spread as `generateDutyRoster`; days before
        `served_before` were served."""
        planned = duty_model.plan(units=[u.id for u in units], days=[start + timedelta(days=i) for i in range(days)],
                                  per_day=per_day, busy={(s.unit_id, s.duty_date) for s in self.shifts})
        for day, unit_id in planned:
            served = day < served_before
            at = datetime.combine(day, datetime.min.time(), duty_model.LOCAL_TZ).replace(hour=9)
            self.shifts.append(DutyShift(id=len(self.shifts) + 1, centre_id=centre.id, unit_id=unit_id,
                                         duty_date=day, checked_in_at=at if served else None,
                                         checked_in_by_id=checked_in_by.id if served and checked_in_by else None,
                                         created_at=self.now))

    def pair(self, partner: Org, org: Org) -> None:
        self.pairs.append(Partnership(id=len(self.pairs) + 1, partner_id=partner.id, org_id=org.id,
                                      created_at=self.now))


def _demo(plan: _Plan) -> dict[str, Org]:
    """The contract's demo table: seven accounts and the orgs they belong to (and 13800000007, the property
    team's steward)."""
    district = plan.org("思明区", OrgKind.DISTRICT)
    jialian = plan.org("嘉莲街道", OrgKind.STREET_COMMITTEE, district)
    xiagang = plan.org("厦港街道", OrgKind.STREET_COMMITTEE, district)
    lujiang = plan.org("鹭江街道", OrgKind.STREET_COMMITTEE, district)
    lianhua = plan.org("莲花北社区", OrgKind.COMMUNITY_COMMITTEE, jialian)
    xunsiding = plan.org("巡司顶社区", OrgKind.COMMUNITY_COMMITTEE, xiagang)
    xiaoxue = plan.org("小学社区", OrgKind.COMMUNITY_COMMITTEE, lujiang)
    guanyuanli_branch = plan.org("观远里小区党支部", OrgKind.COMPOUND_BRANCH, lianhua)
    hailong_branch = plan.org("海龙小区党支部", OrgKind.COMPOUND_BRANCH, xunsiding)
    guomao_branch = plan.org("国贸金海岸小区党支部", OrgKind.COMPOUND_BRANCH, xiaoxue)
    plan.org("观远里厝边帮帮团", OrgKind.VOLUNTEER_TEAM, guanyuanli_branch)
    plan.org("巡司顶小巷和事佬", OrgKind.VOLUNTEER_TEAM, xunsiding)
    jiean = plan.org("厦门市捷安集团党支部", OrgKind.PARTNER_UNIT)
    police = plan.org("鹭江派出所", OrgKind.PARTNER_UNIT)
    plan.pair(jiean, jialian)
    plan.pair(jiean, xunsiding)
    plan.pair(police, lujiang)

    plan.compound("观远里小区", lianhua, guanyuanli_branch, households=412, red=True,
                  pm=PropertyManagement.SELF_MANAGED, address="厦门市思明区莲花北路观远里")
    plan.compound("海龙小区", xunsiding, hailong_branch, households=2536, red=True,
                  pm=PropertyManagement.NONE, address="厦门市思明区巡司顶")
    plan.compound("国贸金海岸小区", xiaoxue, guomao_branch, households=680, red=False,
                  address="厦门市思明区鹭江道国贸金海岸")

    accounts = [
        ("13800000000", "思明区管理员", district, MemberRole.ADMIN),
        ("13800000001", "嘉莲街道管理员", jialian, MemberRole.ADMIN),
        ("13800000002", "莲花北社区书记", lianhua, MemberRole.ADMIN),
        ("13800000003", "观远里支部书记", guanyuanli_branch, MemberRole.ADMIN),
        ("13800000004", "陈党员", None, None),
        ("13800000005", "捷安集团党支部书记", jiean, MemberRole.ADMIN),
        ("13800000006", "林居民", None, None),
    ]
    users = {}
    for phone, name, org, role in accounts:
        user = users[phone] = plan.user(phone, name)
        if org is not None and role is not None:
            plan.member(user, org, role)
        if phone == "13800000004":
            plan.register(user, guanyuanli_branch, MemberType.IN_SERVICE, "厦门市捷安集团")

    # 观远里 publishes its regular services; the member has claimed one, the partner unit may claim for itself.
    branch_admin, guanyuanli = users["13800000003"], plan.compounds[0]
    elderly = plan.project(guanyuanli_branch, "独居老人助餐探访", ProjectCategory.ELDERLY_CARE, 5, kinds="MEMBER,ORG",
                           description="每周为观远里独居老人送餐、聊天、测血压。", location="观远里小区党群服务站",
                           compound=guanyuanli, created_by=branch_admin)
    plan.project(guanyuanli_branch, "三红垃圾分类督导", ProjectCategory.GARBAGE_SORTING, 8, kinds="MEMBER,ORG",
                 description="早晚高峰在分类投放点值守，指导居民分类投放。", location="观远里垃圾分类投放点",
                 compound=guanyuanli, created_by=branch_admin)
    plan.project(guanyuanli_branch, "黄昏行平安巡查", ProjectCategory.SAFETY_PATROL, 6,
                 description="每晚 19:00–21:00 沿小区巡查，排查安全隐患。", location="观远里小区", compound=guanyuanli,
                 created_by=branch_admin)
    clinic = plan.project(lianhua, "社区义诊进小区", ProjectCategory.HEALTH, 3, kinds="ORG",
                 description="邀请共建单位医护人员为居民义诊。", location="莲花北社区广场",
                 created_by=users["13800000002"])
    plan.claim(elderly, users["13800000004"])

    # Co-building: a shared venue, an alliance led by the partner unit, a joint meeting whose resolution became
    # a project.
    plan.resources.append(Resource(id=1, owner_id=lianhua.id, name="莲花北社区活动室", kind=ResourceKind.VENUE,
                                   quantity=1, share_scope=ShareScope.PARTNERS, location="莲花北社区党群服务中心二楼",
                                   description="可容纳 40 人，配投影，供共建单位和小区党支部开展活动。",
                                   created_at=plan.now))
    plan.alliances.append(Alliance(id=1, name="嘉莲片区楼宇党建联盟", lead_id=jiean.id, created_at=plan.now))
    for i, member in enumerate((jiean, lianhua), start=1):
        plan.alliance_members.append(AllianceMember(id=i, alliance_id=1, org_id=member.id,
                                                    status=AllianceMemberStatus.ACTIVE, invited_at=plan.now,
                                                    responded_at=plan.now))
    plan.meetings.append(Meeting(id=1, convener_id=jialian.id, title="嘉莲街道近邻共建联席会议",
                                 agenda="一、通报共建项目进展；二、议定社区义诊进小区事宜。",
                                 starts_at=plan.now, location="嘉莲街道党群服务中心", created_at=plan.now,
                                 created_by_id=users["13800000001"].id))
    for i, invitee in enumerate((lianhua, jiean, guanyuanli_branch), start=1):
        plan.invitees.append(MeetingInvitee(id=i, meeting_id=1, org_id=invitee.id, response=InviteResponse.ATTENDING,
                                            responded_at=plan.now, checked_in_at=plan.now if i < 3 else None))
    # The meeting resolved on the clinic, which 莲花北社区 then published as its project.
    plan.resolutions.append(Resolution(id=1, meeting_id=1, text="社区义诊进小区\n由莲花北社区牵头，邀请共建单位医护人员每月进小区义诊。",
                                       owner_id=lianhua.id, project_id=clinic.id, created_at=plan.now))
    # 轮值驻点: 捷安 serves at 嘉莲街道's party-mass service centre; the last three days were served, today's is due.
    today = duty_model.local_today()
    plan.roster(jialian, [jiean], start=today - timedelta(days=3), days=10, per_day=1, served_before=today,
                checked_in_by=users["13800000005"])
    _resident_services(plan, lianhua, guanyuanli_branch, guanyuanli, users)
    return {"district": district, "streets": [jialian, xiagang, lujiang],  # type: ignore[dict-item]
            "communities": [lianhua, xunsiding, xiaoxue], "branches": [guanyuanli_branch, hailong_branch,
                                                                       guomao_branch]}


def _resident_services(plan: _Plan, community: Org, branch: Org, compound: Compound, users: dict[str, User]) -> None:
    """观远里's households and residents' services: a self-run property team's price list, an order of 13800000006
    at every stage, opinions with replies, and an open poll on choosing a property company."""
    team = plan.org("观远里自管物业服务队", OrgKind.VOLUNTEER_TEAM, branch)
    steward = users["13800000007"] = plan.user("13800000007", "观远里物业管家")
    plan.member(steward, team, MemberRole.STAFF)
    resident, member = users["13800000006"], users["13800000004"]
    community_admin = users["13800000002"]
    at = plan.now

    # Households: the two residents with accounts, and ten neighbours who vote in the poll.
    areas = [89.5, 102.0, 76.3, 120.8, 95.0, 68.4, 110.2, 88.0, 132.5, 79.9, 101.1, 93.7]
    for i, area in enumerate(areas):
        plan.households.append(Household(id=i + 1, compound_id=compound.id, unit=f"{i // 4 + 1}号楼{i % 4 + 1}01室",
                                         area_sqm=area, created_at=at))
    for household_id, user in ((1, resident), (2, member)):
        plan.household_members.append(HouseholdMember(id=len(plan.household_members) + 1, household_id=household_id,
                                                      user_id=user.id, created_at=at))

    # 明码标价: the team's price list, one approved by the community, one waiting.
    plan.offerings.append(ServiceOffering(id=1, provider_id=team.id, title="家电维修上门服务",
                                          category=ProjectCategory.REPAIR, price_fen=3000, unit="次",
                                          description="空调、洗衣机、热水器等常见家电上门检修，材料费另计、明码标价。",
                                          approved_at=at, approved_by_id=community_admin.id, created_at=at))
    plan.offerings.append(ServiceOffering(id=2, provider_id=team.id, title="楼道深度保洁", category=ProjectCategory.ENVIRONMENT,
                                          price_fen=2000, unit="次", description="单元楼道及扶手清洁消毒。",
                                          created_at=at))

    # 居民点单 → 社区下单 → 物业接单: one order of 13800000006 at each stage.
    steps = [(OrderAction.PLACED, OrderStatus.SUBMITTED, resident), (OrderAction.DISPATCHED, OrderStatus.DISPATCHED,
             community_admin), (OrderAction.ACCEPTED, OrderStatus.ACCEPTED, steward),
             (OrderAction.STARTED, OrderStatus.IN_PROGRESS, steward), (OrderAction.COMPLETED, OrderStatus.COMPLETED,
             steward), (OrderAction.CONFIRMED, OrderStatus.CONFIRMED, resident)]
    stages = [("厨房水龙头漏水，请帮忙上门维修", 1), ("空调不制冷，需要检修", 2), ("洗衣机排水不畅", 3),
              ("热水器点不着火", 4), ("抽油烟机噪音大，请检修", 5), ("客厅灯具更换", 6), ("阳台晾衣架松动（已自行修好）", 1)]
    for i, (text, reached) in enumerate(stages):
        order_id = i + 1
        cancelled = i == len(stages) - 1
        status = OrderStatus.CANCELLED if cancelled else steps[reached - 1][1]
        dispatched = reached >= 2 and not cancelled
        confirmed = status is OrderStatus.CONFIRMED
        plan.orders.append(Order(id=order_id, resident_id=resident.id, compound_id=compound.id,
                                 community_id=community.id, category=ProjectCategory.REPAIR, description=text,
                                 offering_id=1, status=status, provider_id=team.id if dispatched else None,
                                 price_fen=3000 if dispatched else None, rating=5 if confirmed else None,
                                 comment="师傅很专业，准时上门。" if confirmed else None, created_at=at, updated_at=at))
        for action, step_status, actor in steps[:reached]:
            note = "师傅很专业，准时上门。" if action is OrderAction.CONFIRMED else (
                "已更换阀芯，试用正常。" if action is OrderAction.COMPLETED else None)
            plan.order_events.append(OrderEvent(id=len(plan.order_events) + 1, order_id=order_id, action=action,
                                                status=step_status, actor_id=actor.id,
                                                provider_id=team.id if action is not OrderAction.PLACED else None,
                                                price_fen=3000 if action is OrderAction.DISPATCHED else None,
                                                note=note, at=at))
        if cancelled:
            plan.order_events.append(OrderEvent(id=len(plan.order_events) + 1, order_id=order_id,
                                                action=OrderAction.CANCELLED, status=OrderStatus.CANCELLED,
                                                actor_id=resident.id, note="已自行修好", at=at))

    # 听邻说事: two from the resident's app (one answered), one heard on a home visit, one on the hotline.
    opinions = [
        ("小区东门路灯坏了一个多月，晚上出行不便。", ProjectCategory.SAFETY_PATROL, OpinionChannel.APP, resident, False,
         OpinionStatus.REPLIED, "已报修，供电所本周内更换灯具。"),
        ("建议在 3 号楼旁增设电动车充电桩。", ProjectCategory.OTHER, OpinionChannel.APP, resident, False,
         OpinionStatus.OPEN, None),
        ("独居老人希望每周有人上门量血压。", ProjectCategory.ELDERLY_CARE, OpinionChannel.HOME_VISIT, None, True,
         OpinionStatus.REPLIED, "已纳入“独居老人助餐探访”项目，党员每周上门。"),
        ("垃圾分类投放点早上清运太晚，有异味。", ProjectCategory.GARBAGE_SORTING, OpinionChannel.HOTLINE, member, False,
         OpinionStatus.CLOSED, "已与环卫协调，清运提前到 7:30。"),
    ]
    for i, (text, category, channel, author, anonymous, status, answer) in enumerate(opinions, start=1):
        replied = answer is not None
        plan.opinions.append(Opinion(id=i, text=text, category=category, compound_id=compound.id,
                                     org_id=community.id, channel=channel, anonymous=anonymous,
                                     author_id=author.id if author else None,
                                     recorded_by_id=None if channel is OpinionChannel.APP else community_admin.id,
                                     status=status, created_at=at, first_reply_at=at if replied else None,
                                     closed_at=at if status is OpinionStatus.CLOSED else None))
        if replied:
            plan.opinion_replies.append(OpinionReply(id=len(plan.opinion_replies) + 1, opinion_id=i,
                                                     org_id=community.id, author_id=community_admin.id, text=answer,
                                                     created_at=at))

    # 电子投票: choosing a property company; five neighbours have voted, the two residents with accounts not yet.
    plan.polls.append(Poll(id=1, compound_id=compound.id, title="观远里小区物业服务企业选聘",
                           description="观远里小区自管多年，现由业主投票决定是否引入物业服务企业。一户一票，"
                                       "须经专有部分面积和户数双过半。",
                           status=PollStatus.OPEN, rule=PollRule.DOUBLE_MAJORITY, quorum_percent=67,
                           opens_at=at, closes_at=at + timedelta(days=14), created_by_id=users["13800000003"].id,
                           created_at=at, opened_at=at))
    for i, label in enumerate(["厦门市嘉联物业服务有限公司", "厦门市鹭房物业管理有限公司", "继续业主自治管理"]):
        plan.poll_options.append(PollOption(id=i + 1, poll_id=1, label=label, position=i))
    for household_id, option_id in ((3, 1), (4, 1), (5, 3), (6, 2), (7, 1)):
        plan.votes.append(Vote(id=len(plan.votes) + 1, poll_id=1, option_id=option_id, household_id=household_id,
                               user_id=None, area_sqm=areas[household_id - 1], created_at=at))


def _siming(plan: _Plan) -> None:
    """Grow the demo set to the district's scale: 10 streets, ~100 communities, 760 compounds, 696 branches."""
    rng = random.Random(20171)  # fixed: the same district on every machine
    base = _demo(plan)
    district: Org = base["district"]  # type: ignore[assignment]
    streets: list[Org] = list(base["streets"])  # type: ignore[arg-type]
    for name in SIMING_STREETS[len(streets):]:
        streets.append(plan.org(name, OrgKind.STREET_COMMITTEE, district))
    communities: list[Org] = list(base["communities"])  # type: ignore[arg-type]
    while len(communities) < SIMING_COMMUNITIES:
        street = streets[len(communities) % len(streets)]
        communities.append(plan.org(f"{street.name[:-2]}第{len(communities) + 1}社区", OrgKind.COMMUNITY_COMMITTEE,
                                    street))
    branches: list[Org] = list(base["branches"])  # type: ignore[arg-type]
    red_so_far = sum(1 for c in plan.compounds if c.has_red_committee)
    # 696 branches cover all 760 compounds: 632 branches cover one compound, 64 cover two.
    new_branches = SIMING_BRANCHES - len(branches)
    new_compounds = SIMING_COMPOUNDS - len(plan.compounds)
    doubles = new_compounds - new_branches
    red_left = SIMING_RED - red_so_far
    for i in range(new_branches):
        community = communities[i % len(communities)]
        branch = plan.org(f"{community.name[:-2]}第{i + 1}小区党支部", OrgKind.COMPOUND_BRANCH, community)
        branches.append(branch)
        for j in range(2 if i < doubles else 1):
            left = SIMING_COMPOUNDS - len(plan.compounds)
            red = rng.random() < red_left / left if left else False
            red_left -= red
            plan.compound(f"{community.name[:-2]}第{i + 1}-{j + 1}小区", community, branch,
                          households=rng.randint(80, 1200), red=red,
                          pm=rng.choice(list(PropertyManagement)))
    teams = ["厝边帮帮团", "能人服务队", "小巷和事佬", "黄昏行平安巡查队", "三红垃圾分类监督队"]
    for i, community in enumerate(communities):
        plan.org(f"{community.name}{teams[i % len(teams)]}", OrgKind.VOLUNTEER_TEAM, community)
    for i in range(SIMING_PARTNERS - 2):
        unit = plan.org(f"思明区共建单位{i + 1:03d}党支部", OrgKind.PARTNER_UNIT)
        plan.pair(unit, streets[i % len(streets)])
        plan.pair(unit, communities[rng.randrange(len(communities))])
    units_of: dict[int, list[Org]] = {}
    for pairing in plan.pairs:
        units_of.setdefault(pairing.org_id, []).append(plan.orgs[pairing.partner_id - 1])
    today = duty_model.local_today()
    for community in communities:
        units = units_of.get(community.id, [])
        if units:
            plan.roster(community, units, start=today - timedelta(days=ROSTER_DAYS_BACK),
                        days=ROSTER_DAYS_BACK + ROSTER_DAYS_AHEAD, per_day=min(2, len(units)), served_before=today)
    units = [o for o in plan.orgs if o.kind is OrgKind.PARTNER_UNIT]
    for i in range(SIMING_COMMISSIONERS):
        commissioner = plan.user(f"137{i:08d}", f"近邻服务专员{i + 1:04d}")
        plan.member(commissioner, units[i % len(units)], MemberRole.COMMISSIONER)
    member_types = [MemberType.IN_SERVICE] * 6 + [MemberType.RETIRED] * 3 + [MemberType.FLOATING]
    members_at: dict[int, list[User]] = {b.id: [] for b in branches}
    for i in range(SIMING_MEMBERS - len(plan.registrations)):
        user = plan.user(f"139{i:08d}", f"党员{i + 1:05d}")
        branch = branches[rng.randrange(len(branches))]
        plan.register(user, branch, rng.choice(member_types))
        members_at[branch.id].append(user)
    # 7,000+ claimed service projects: each branch publishes some, claimed by members registered there.
    categories = list(ProjectCategory)
    titles = {ProjectCategory.ELDERLY_CARE: "为老助餐", ProjectCategory.ENVIRONMENT: "楼道清洁",
              ProjectCategory.SAFETY_PATROL: "平安巡查", ProjectCategory.GARBAGE_SORTING: "垃圾分类督导",
              ProjectCategory.EDUCATION: "四点半课堂", ProjectCategory.HEALTH: "健康义诊",
              ProjectCategory.MEDIATION: "邻里调解", ProjectCategory.REPAIR: "家电义修",
              ProjectCategory.CULTURE: "文艺汇演", ProjectCategory.OTHER: "便民服务"}
    while len(plan.projects) < SIMING_PROJECTS:
        branch = branches[len(plan.projects) % len(branches)]
        category = categories[rng.randrange(len(categories))]
        members = members_at[branch.id]
        project = plan.project(branch, f"{branch.name[:-5]}{titles[category]}{len(plan.projects) + 1}", category,
                               rng.randint(3, 10), status=rng.choice([ProjectStatus.OPEN] * 3 + [ProjectStatus.COMPLETED]))
        for user in rng.sample(members, min(len(members), rng.randint(1, 3))):
            verified = project.status is ProjectStatus.COMPLETED
            plan.claim(project, user, status=ClaimStatus.VERIFIED if verified else ClaimStatus.ACTIVE,
                       hours=rng.choice([1.0, 1.5, 2.0, 3.0]) if verified else None)


async def _reset_sequences(conn: object) -> None:
    """PostgreSQL sequences do not see explicit ids: move them past the seeded rows."""
    for table in ("org", "org_closure", "partnership", "compound", "app_user", "membership", "registration",
                  "project", "claim", "resource", "alliance", "alliance_member", "meeting", "meeting_invitee",
                  "resolution", "duty_shift", "household", "household_member", "service_offering",
                  "resident_order", "order_event", "opinion", "opinion_reply", "poll", "poll_option", "vote"):
        await db.fetch(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1,"
            " false)", conn=conn)  # type: ignore[arg-type]


async def is_empty() -> bool:
    """A database with no organisations and no users counts as empty (safe to seed)."""
    return not await Org.exists() and not await User.exists()


async def seed(*, scale: str) -> dict[str, int]:
    """Insert the data set of a scale into an empty database, in one transaction; returns row counts."""
    if scale not in SCALES:
        raise SeedError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    if not await is_empty():
        raise SeedError("the database already holds data; seed an empty database")
    plan = _Plan(password_hash=hash_password_sync(DEMO_PASSWORD))
    (_demo if scale == "demo" else _siming)(plan)
    async with in_transaction() as conn:
        await pause_stats(conn=conn)  # the org statistics counters: one set-wise rebuild after the inserts
        for model, rows in ((Org, plan.orgs), (OrgClosure, plan.closure), (Partnership, plan.pairs),
                            (Compound, plan.compounds), (User, plan.users), (Membership, plan.memberships),
                            (Registration, plan.registrations), (Project, plan.projects), (Claim, plan.claims),
                            (Resource, plan.resources), (Alliance, plan.alliances),
                            (AllianceMember, plan.alliance_members), (Meeting, plan.meetings),
                            (MeetingInvitee, plan.invitees), (Resolution, plan.resolutions),
                            (DutyShift, plan.shifts), (Household, plan.households),
                            (HouseholdMember, plan.household_members), (ServiceOffering, plan.offerings),
                            (Order, plan.orders), (OrderEvent, plan.order_events), (Opinion, plan.opinions),
                            (OpinionReply, plan.opinion_replies), (Poll, plan.polls), (PollOption, plan.poll_options),
                            (Vote, plan.votes)):
            await model.bulk_create(rows, batch_size=2000, using_db=conn)
        await rebuild_stats(conn=conn)
        if db.is_postgres(conn):
            await _reset_sequences(conn)
    return {"orgs": len(plan.orgs), "compounds": len(plan.compounds), "users": len(plan.users),
            "registrations": len(plan.registrations), "pairings": len(plan.pairs), "projects": len(plan.projects),
            "claims": len(plan.claims), "duty shifts": len(plan.shifts),
            "commissioners": sum(1 for m in plan.memberships if m.role is MemberRole.COMMISSIONER),
            "households": len(plan.households), "orders": len(plan.orders), "opinions": len(plan.opinions),
            "polls": len(plan.polls)}
