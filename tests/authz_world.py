"""The world of the authorisation matrix (tests/test_authz_matrix.py): the demo data set grown into every position a
target can have relative to the people acting on it, one person per role, factories for fresh targets, and an
independent oracle of whose full phone number each person may see.

    思明区 D ─ 嘉莲街道 S1 ─ 莲花北社区 C1 ─ 观远里小区党支部 B1 ─ 观远里测试服务队 T1  compound 观远里小区 K1 (C1, B1)
           └ 测试街道 S2 ─ 测试社区 C2 ─ 测试小区党支部 B2 ─ 测试二队 T2                 compound 测试小区 K2 (C2, B2)
    外区 D2 ─ 外区街道 S3 ─ 外区社区 C3 ─ 外区小区党支部 B3 ─ 外区服务队 T3           compound 外区小区 K3 (C3, B3)
    测试共建单位 P1 (paired with C1; its ADMIN, and a COMMISSIONER sent by C1), 测试共建单位乙 P1b (paired with C1),
    U2 (paired with C2), U3 (paired with C3), 无关共建单位 P2 (paired with nothing)

The people acting all hang off the home chain D > S1 > C1 > B1 > K1 (and P1); "positions" of targets are places in
this picture (`branch` = B1 or K1, `team` = T1, `community` = C1, `street` = S1, `district` = D, `sibling` = the S2
subtree, `paired` = P1, `unrelated` = D2's subtree or P2), so that every role meets targets that are its own, in its
subtree, above it, in a sibling subtree, on the paired side and unrelated.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from auth import tokens
from auth.tokens import TokenType
from models import duty as duty_model
from models import meeting as meeting_model
from models import opinion as opinion_model
from models import org as org_model
from models import poll as poll_model
from models import project as project_model
from models import registration as registration_model
from models import resource as resource_model
from models.alliance import Alliance, AllianceMember, AllianceMemberStatus
from models.compound import Compound
from models.duty import DutyShift
from models.enums import MemberRole, MemberType, OrgKind, ProjectCategory, ProjectStatus
from models.household import Household, HouseholdMember
from models.notification import Notification, NotificationKind
from models.opinion import Opinion, OpinionChannel
from models.order import Order, OrderStatus, ServiceOffering
from models.org import Org, OrgClosure, Partnership
from models.poll import PollOption, PollRule, PollStatus
from models.registration import Registration
from models.resource import ResourceKind, ShareScope
from models.user import Membership, User
from tests.conftest import Api, gid, pk

# --- roles ----------------------------------------------------------------------------------------------------------
ANON, RESIDENT, MEMBER = "anon", "resident", "member"
BRANCH_A, BRANCH_S = "branch.A", "branch.S"
COMMUNITY_A, COMMUNITY_S = "community.A", "community.S"
STREET_A, STREET_S = "street.A", "street.S"
DISTRICT_A, DISTRICT_S = "district.A", "district.S"
UNIT_A, COMMISSIONER = "unit.A", "commissioner"
ROLES = (ANON, RESIDENT, MEMBER, BRANCH_A, BRANCH_S, COMMUNITY_A, COMMUNITY_S, STREET_A, STREET_S, DISTRICT_A,
         DISTRICT_S, UNIT_A, COMMISSIONER)

# Who plays each role: the demo's accounts where the demo has one (README's table), new people otherwise.
PHONES = {
    RESIDENT: "13800000006",      # lives in 观远里小区 (household 1), belongs to no org
    MEMBER: "13800000004",        # MEMBER of B1, registered there (双报到), lives in 观远里小区 (household 2)
    BRANCH_A: "13800000003", BRANCH_S: "13900000003",
    COMMUNITY_A: "13800000002", COMMUNITY_S: "13900000002",
    STREET_A: "13800000001", STREET_S: "13900000001",
    DISTRICT_A: "13800000000", DISTRICT_S: "13900000000",
    UNIT_A: "13900000005",        # founded P1 (its ADMIN); P1 is paired with C1
    COMMISSIONER: "13900000009",  # COMMISSIONER of P1, sent by C1 (近邻服务专员)
}

# Where each role holds its role (for naming the relation of a role to a position in reports).
_LEVEL = {"district": 0, "street": 1, "community": 2, "branch": 3, "team": 4}
_ROLE_LEVEL = {BRANCH_A: 3, BRANCH_S: 3, MEMBER: 3, RESIDENT: 3, ANON: 3, COMMUNITY_A: 2, COMMUNITY_S: 2,
               STREET_A: 1, STREET_S: 1, DISTRICT_A: 0, DISTRICT_S: 0}


def relation(role: str, position: str) -> str:
    """The relation of a role to a target position, for reports: own, subtree, above, sibling, paired, unrelated
    (personal objects: `self` is own, `other` unrelated; absent ids: missing)."""
    base = position.split(":")[0]
    base = {"convener": "community", "centre": "community", "lead": "paired", "root": "unrelated",
            "self": "own", "other": "unrelated"}.get(base, base)
    if base in ("own", "missing", "unrelated"):
        return base
    if role in (UNIT_A, COMMISSIONER):  # P1's people: P1 is theirs, the home chain is the side they are paired with
        return {"paired": "own", "sibling": "unrelated"}.get(base, "paired")
    if base in ("sibling", "paired"):
        return base
    level, mine = _LEVEL[base], _ROLE_LEVEL[role]
    return "own" if level == mine else ("subtree" if level > mine else "above")


@dataclass
class World:
    """The data set, the people and their access tokens, and every response body of the run (for the phone scan)."""

    api: Api
    o: dict[str, Org] = field(default_factory=dict)            # D S1 C1 B1 T1 S2 C2 B2 T2 D2 … T3 P1 P1b P2 U2 U3
    k: dict[str, Compound] = field(default_factory=dict)       # K1 K2 K3
    people: dict[str, User] = field(default_factory=dict)      # every role but ANON, and background people
    tokens: dict[str, str] = field(default_factory=dict)
    bodies: list[tuple[str, str]] = field(default_factory=list)
    current: str = ""                                          # the mutation whose cases are being made
    _n: Any = field(default_factory=lambda: itertools.count(1))
    _day: Any = field(default_factory=lambda: itertools.count(40))

    # --- talking to the service -------------------------------------------------------------------------------------
    async def call(self, role: str, query: str, variables: dict | None = None) -> dict:
        """POST as a role (ANON: no token); every body is kept for the phone scan."""
        response = await self.api.post(query, variables, token=self.tokens.get(role))
        self.bodies.append((role, response.text))
        assert response.status_code == 200, (role, response.status_code, response.text)
        return response.json()

    async def ok(self, role: str, query: str, variables: dict | None = None) -> dict:
        body = await self.call(role, query, variables)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert not payload.get("errors"), payload
        return payload

    def n(self) -> int:
        return next(self._n)

    def future_day(self) -> date:
        """A duty day nobody has used yet (40+ days ahead, each asked once)."""
        return duty_model.local_today() + timedelta(days=next(self._day))

    # --- people and orgs --------------------------------------------------------------------------------------------
    async def person(self, label: str = "路人") -> User:
        """A fresh account that belongs to nothing (phones 137…)."""
        n = self.n()
        return await User.create(phone=f"137{n:08d}", display_name=f"{label}{n}", password_hash="!")

    async def new_org(self, kind: OrgKind, parent: Org | None = None, name: str | None = None) -> Org:
        return await org_model.create(name=name or f"{kind.value}-{self.n()}", kind=kind, parent=parent)

    async def unit(self, *, paired_with: Org | None = None) -> Org:
        """A fresh partner unit with no people (paired with one org when asked)."""
        u = await self.new_org(OrgKind.PARTNER_UNIT)
        if paired_with is not None:
            await org_model.pair(partner=u, org=paired_with)
        return u

    async def member_of(self, org: Org, role: MemberRole = MemberRole.MEMBER, user: User | None = None) -> User:
        user = user or await self.person()
        await Membership.create(user_id=user.id, org_id=org.id, role=role)
        return user

    async def registered(self, branch: Org, user: User | None = None) -> Registration:
        user = user or await self.person("党员")
        return await registration_model.register(user_id=user.id, branch_id=branch.id,
                                                 member_type=MemberType.RETIRED, work_unit=None)

    # --- targets ----------------------------------------------------------------------------------------------------
    async def project(self, org: Org, status: ProjectStatus = ProjectStatus.OPEN, kinds: str = "MEMBER,ORG"
                      ) -> project_model.Project:
        return await project_model.Project.create(
            org_id=org.id, title=f"测试项目{self.n()}", category=ProjectCategory.OTHER, status=status, capacity=5,
            claimant_kinds=kinds, created_at=datetime.now(timezone.utc),
            published_at=None if status is ProjectStatus.DRAFT else datetime.now(timezone.utc))

    async def claim(self, project: project_model.Project, *, user: User | None = None, org: Org | None = None,
                    done: bool = False) -> project_model.Claim:
        """A live claim: by a member (a fresh one unless given) or, with `org`, by that org (filed by P1's admin for
        P1, by a fresh person otherwise)."""
        if org is None:
            user = user or await self.person("认领人")
            filer = user
        else:
            filer = self.people[UNIT_A] if org.id == self.o["P1"].id else await self.person("队长")
        claim = await project_model.claim(project_id=project.id, claimed_by=filer.id,
                                          user_id=user.id if org is None else None, org_id=org.id if org else None)
        if done:
            await project_model.report_done(claim=claim, hours=2.0, note=None)
        return claim

    async def resource(self, owner: Org, scope: ShareScope = ShareScope.SUBTREE) -> resource_model.Resource:
        return await resource_model.create(owner_id=owner.id, name=f"测试资源{self.n()}", kind=ResourceKind.EQUIPMENT,
                                           quantity=1, share_scope=scope, description=None, location=None)

    async def booking(self, resource: resource_model.Resource, for_org: Org) -> resource_model.Booking:
        starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3, hours=self.n())
        return await resource_model.request(resource_id=resource.id, for_org_id=for_org.id,
                                            requested_by=self.people[DISTRICT_A].id, starts_at=starts,
                                            ends_at=starts + timedelta(hours=1), quantity=1, purpose=None,
                                            project_id=None)

    async def alliance(self, lead: Org, members: dict[int, AllianceMemberStatus] | None = None) -> Alliance:
        """An alliance led by `lead`, with other orgs (by id) in the given states."""
        now = datetime.now(timezone.utc)
        a = await Alliance.create(name=f"测试联盟{self.n()}", lead_id=lead.id)
        await AllianceMember.create(alliance_id=a.id, org_id=lead.id, status=AllianceMemberStatus.ACTIVE,
                                    responded_at=now)
        for org_id, status in (members or {}).items():
            await AllianceMember.create(alliance_id=a.id, org_id=org_id, status=status,
                                        responded_at=None if status is AllianceMemberStatus.INVITED else now)
        return a

    async def meeting(self, convener: Org, invitees: list[Org]) -> meeting_model.Meeting:
        return await meeting_model.schedule(
            convener_id=convener.id, title=f"测试联席会议{self.n()}", agenda="", location=None,
            starts_at=datetime.now(timezone.utc) + timedelta(days=2), created_by=self.people[DISTRICT_A].id,
            invitee_ids=[o.id for o in invitees])

    async def resolution(self, meeting: meeting_model.Meeting, owner: Org) -> meeting_model.Resolution:
        return await meeting_model.record_resolution(meeting_id=meeting.id, text=f"测试决议{self.n()}\n细则",
                                                    owner_id=owner.id, due_at=None)

    async def shift(self, centre: Org, unit: Org, day: date | None = None) -> DutyShift:
        return await DutyShift.create(centre_id=centre.id, unit_id=unit.id, duty_date=day or self.future_day())

    async def offering(self, provider: Org, *, approved: bool = False) -> ServiceOffering:
        now = datetime.now(timezone.utc)
        return await ServiceOffering.create(
            provider_id=provider.id, title=f"测试服务{self.n()}", category=ProjectCategory.REPAIR, price_fen=1000,
            unit="次", description="", approved_at=now if approved else None,
            approved_by_id=self.people[COMMUNITY_A].id if approved else None)

    async def order(self, compound: Compound, resident: User, status: OrderStatus = OrderStatus.SUBMITTED,
                    provider: Org | None = None) -> Order:
        now = datetime.now(timezone.utc)
        return await Order.create(resident_id=resident.id, compound_id=compound.id,
                                  community_id=compound.community_id, category=ProjectCategory.REPAIR,
                                  description=f"测试工单{self.n()}", status=status,
                                  provider_id=provider.id if provider else None,
                                  price_fen=1000 if provider else None, created_at=now, updated_at=now)

    async def opinion(self, compound: Compound, author: User | None, *, assignee: Org | None = None,
                      anonymous: bool = False, contact_phone: str | None = None) -> Opinion:
        row = await opinion_model.submit(
            text=f"测试意见{self.n()}", category=ProjectCategory.OTHER, compound_id=compound.id,
            org_id=compound.community_id, channel=OpinionChannel.APP if author else OpinionChannel.HOTLINE,
            anonymous=anonymous, author_id=author.id if author else None, contact_phone=contact_phone,
            recorded_by=None if author else self.people[COMMUNITY_A].id)
        if assignee is not None:
            await opinion_model.assign(opinion_id=row.id, org_id=assignee.id)
        return row

    async def household(self, compound: Compound, residents: list[User] | None = None) -> Household:
        h = await Household.create(compound_id=compound.id, unit=f"{self.n()}号楼101室", area_sqm=80.0)
        for user in residents if residents is not None else [await self.person("住户")]:
            await HouseholdMember.create(household_id=h.id, user_id=user.id)
        return h

    async def poll(self, compound: Compound, status: PollStatus = PollStatus.OPEN) -> poll_model.Poll:
        poll = await poll_model.create(compound_id=compound.id, title=f"测试投票{self.n()}", description="",
                                       options=["赞成", "反对"], opens_at=None, closes_at=None, quorum_percent=50,
                                       rule=PollRule.SIMPLE_MAJORITY, created_by=self.people[BRANCH_A].id)
        if status is not PollStatus.DRAFT:
            await poll_model.transition(poll_id=poll.id, to=PollStatus.OPEN, expected=PollStatus.DRAFT)
        if status is PollStatus.CLOSED:
            await poll_model.transition(poll_id=poll.id, to=PollStatus.CLOSED, expected=PollStatus.OPEN)
        return poll

    async def first_option(self, poll: poll_model.Poll) -> str:
        option = await PollOption.filter(poll_id=poll.id).order_by("position").first()
        return gid("PollOption", option.id)

    async def notification(self, user: User) -> Notification:
        return await Notification.create(user_id=user.id, kind=NotificationKind.CLAIM_CREATED)

    # --- a person's roles, kept and put back around mutations that change the actor -----------------------------------
    async def snapshot(self, user: User) -> Callable[[], Awaitable[None]]:
        """What `user` belongs to and where they are registered now; the returned coroutine restores exactly that."""
        memberships = [(m.org_id, m.role) for m in await Membership.filter(user_id=user.id)]
        active = await Registration.get_or_none(active_user_id=user.id)
        homes = {hm.household_id for hm in await HouseholdMember.filter(user_id=user.id)}

        async def restore() -> None:
            await Membership.filter(user_id=user.id).delete()
            for org_id, role in memberships:
                await Membership.create(user_id=user.id, org_id=org_id, role=role)
            await Registration.filter(active_user_id=user.id).update(active_user_id=None,
                                                                     ended_at=datetime.now(timezone.utc))
            if active is not None:
                await Registration.filter(id=active.id).update(active_user_id=user.id, ended_at=None)
            await HouseholdMember.filter(user_id=user.id).exclude(household_id__in=list(homes) or [0]).delete()

        return restore


def org_gid(org: Org) -> str:
    return gid("Org", org.id)


async def build(api: Api) -> World:
    """The demo data set, grown into the matrix's world, mostly through the API as the admins would."""
    from jinlin.seed import seed

    await seed(scale="demo")
    w = World(api=api)
    for role, phone in PHONES.items():
        user = await User.get_or_none(phone=phone)
        w.people[role] = user or await User.create(phone=phone, display_name=f"{role}用户", password_hash="!")
    for role, user in w.people.items():
        w.tokens[role] = tokens.issue(api.settings, user_id=user.id, typ=TokenType.ACCESS)[0]
    names = {"D": "思明区", "S1": "嘉莲街道", "C1": "莲花北社区", "B1": "观远里小区党支部"}
    for key, name in names.items():
        w.o[key] = await Org.get(name=name)
    w.k["K1"] = await Compound.get(name="观远里小区")

    create_org = """mutation($input: CreateOrgInput!) { createOrg(input: $input) { org { id } errors { code } } }"""

    async def org_via_api(role: str, key: str, name: str, kind: str, parent: str | None) -> None:
        payload = await w.ok(role, create_org, {"input": {"name": name, "kind": kind,
                                                          "parentId": org_gid(w.o[parent]) if parent else None}})
        w.o[key] = await Org.get(id=pk(payload["org"]["id"]))

    # The sibling subtree, made by the district's admin; B1's own volunteer team, by the branch's admin.
    await org_via_api(DISTRICT_A, "S2", "测试街道", "STREET_COMMITTEE", "D")
    await org_via_api(DISTRICT_A, "C2", "测试社区", "COMMUNITY_COMMITTEE", "S2")
    await org_via_api(DISTRICT_A, "B2", "测试小区党支部", "COMPOUND_BRANCH", "C2")
    await org_via_api(DISTRICT_A, "T2", "测试二队", "VOLUNTEER_TEAM", "B2")
    await org_via_api(BRANCH_A, "T1", "观远里测试服务队", "VOLUNTEER_TEAM", "B1")
    payload = await w.ok(DISTRICT_A, """mutation($input: CreateCompoundInput!) {
        createCompound(input: $input) { compound { id } errors { code } } }""",
                         {"input": {"name": "测试小区", "communityId": org_gid(w.o["C2"]),
                                    "branchId": org_gid(w.o["B2"]), "households": 100}})
    w.k["K2"] = await Compound.get(id=pk(payload["compound"]["id"]))
    # The paired unit: founded by its admin, paired by the community, which sends it a commissioner.
    await org_via_api(UNIT_A, "P1", "测试共建单位", "PARTNER_UNIT", None)
    pair = """mutation($input: PairPartnerInput!) { pairPartner(input: $input) { errors { code } } }"""
    await w.ok(COMMUNITY_A, pair, {"input": {"partnerUnitId": org_gid(w.o["P1"]), "orgId": org_gid(w.o["C1"])}})
    add_member = """mutation($input: AddMemberInput!) { addMember(input: $input) { errors { code } } }"""
    await w.ok(COMMUNITY_A, add_member, {"input": {"orgId": org_gid(w.o["P1"]), "phone": PHONES[COMMISSIONER],
                                                   "role": "COMMISSIONER"}})
    # Each level's STAFF, appointed by its ADMIN.
    for admin, staff, key in ((BRANCH_A, BRANCH_S, "B1"), (COMMUNITY_A, COMMUNITY_S, "C1"),
                              (STREET_A, STREET_S, "S1"), (DISTRICT_A, DISTRICT_S, "D")):
        await w.ok(admin, add_member, {"input": {"orgId": org_gid(w.o[key]), "phone": PHONES[staff],
                                                 "role": "STAFF"}})

    # An unrelated district (nobody of the home chain manages it) and units without people, through the models.
    w.o["D2"] = await w.new_org(OrgKind.DISTRICT, None, "外区")
    w.o["S3"] = await w.new_org(OrgKind.STREET_COMMITTEE, w.o["D2"], "外区街道")
    w.o["C3"] = await w.new_org(OrgKind.COMMUNITY_COMMITTEE, w.o["S3"], "外区社区")
    w.o["B3"] = await w.new_org(OrgKind.COMPOUND_BRANCH, w.o["C3"], "外区小区党支部")
    w.o["T3"] = await w.new_org(OrgKind.VOLUNTEER_TEAM, w.o["B3"], "外区服务队")
    w.k["K3"] = await Compound.create(name="外区小区", community_id=w.o["C3"].id, branch_id=w.o["B3"].id,
                                      households=50)
    w.o["P2"] = await w.new_org(OrgKind.PARTNER_UNIT, None, "无关共建单位")
    w.o["P1b"] = await w.unit(paired_with=w.o["C1"])
    w.o["U2"] = await w.unit(paired_with=w.o["C2"])
    w.o["U3"] = await w.unit(paired_with=w.o["C3"])

    # Background people of the other subtrees: a registered member and a resident each.
    for key, branch, compound in (("sib", "B2", "K2"), ("far", "B3", "K3")):
        w.people[f"{key}_member"] = await w.person(f"{key}党员")
        await w.registered(w.o[branch], w.people[f"{key}_member"])
        w.people[f"{key}_resident"] = await w.person(f"{key}居民")
        await w.household(w.k[compound], [w.people[f"{key}_resident"]])
    return w


# --- whose full phone number may a viewer see (the contract's and the schema's documented rules) ------------------
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_MANAGER = (MemberRole.ADMIN, MemberRole.STAFF)


async def phone_oracle(w: World) -> Callable[[str, str], bool]:
    """`may_see(role, phone)`, from the rows as they are now, by the rules the contract and the schema document:

    - anyone: their own number;
    - User.phone: ADMIN/STAFF of an org the person belongs to, or of an ancestor of it;
    - Org.commissioners: a commissioner's, also for managers of an org paired with their unit (or above it);
    - Household.residents: managers of the compound's branch (its community when uncovered) or above;
    - Order.resident: managers of the order's community or above, and managers of the provider (or above) from
      ACCEPTED until the resident confirms;
    - Opinion.author / contactPhone: those handling it (managers of its org, assignee or the compound's branch, or
      above); for an anonymous opinion only an ADMIN of the district that owns it.
    """
    ancestors: dict[int, set[int]] = {}
    for row in await OrgClosure.all():
        ancestors.setdefault(row.descendant_id, set()).add(row.ancestor_id)
    kinds = {o.id: o.kind for o in await Org.all()}
    roles: dict[int, dict[int, MemberRole]] = {}
    for m in await Membership.all():
        roles.setdefault(m.user_id, {})[m.org_id] = m.role
    pairs: dict[int, set[int]] = {}
    for p in await Partnership.all():
        pairs.setdefault(p.partner_id, set()).add(p.org_id)
    compounds = {c.id: c for c in await Compound.all()}
    homes: dict[int, set[int]] = {}
    for hm in await HouseholdMember.all():
        homes.setdefault(hm.user_id, set()).add((await Household.get(id=hm.household_id)).compound_id)
    orders = await Order.all()
    opinions = await Opinion.all()
    by_phone = {u.phone: u.id for u in await User.all()}

    def manages(viewer: int, org_id: int | None) -> bool:
        if org_id is None:
            return False
        mine = roles.get(viewer, {})
        return any(mine.get(a) in _MANAGER for a in ancestors.get(org_id, {org_id}))

    def district_admin(viewer: int, org_id: int) -> bool:
        mine = roles.get(viewer, {})
        return any(mine.get(a) is MemberRole.ADMIN and kinds[a] is OrgKind.DISTRICT for a in ancestors[org_id])

    def handles(viewer: int, op: Opinion) -> bool:
        compound = compounds.get(op.compound_id) if op.compound_id else None
        return (manages(viewer, op.org_id) or manages(viewer, op.assignee_id)
                or (compound is not None and manages(viewer, compound.branch_id)))

    def may_see(role: str, phone: str) -> bool:
        if role == ANON:
            return False
        viewer = w.people[role].id
        owner = by_phone.get(phone)
        if owner == viewer:
            return True
        if owner is not None:
            for org_id, their_role in roles.get(owner, {}).items():
                if manages(viewer, org_id):
                    return True
                if their_role is MemberRole.COMMISSIONER and any(manages(viewer, o) for o in pairs.get(org_id, ())):
                    return True
            for compound_id in homes.get(owner, ()):
                c = compounds[compound_id]
                if manages(viewer, c.branch_id or c.community_id):
                    return True
            for order in orders:
                if order.resident_id == owner and (manages(viewer, order.community_id) or (
                        order.status in (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED)
                        and manages(viewer, order.provider_id))):
                    return True
        for op in opinions:
            if (op.author_id == owner and owner is not None) or (op.contact_phone == phone):
                if op.anonymous and district_admin(viewer, op.org_id):
                    return True
                if not op.anonymous and handles(viewer, op):
                    return True
        return False

    return may_see


async def scan_phones(w: World) -> list[str]:
    """Every full phone number in a response body of the run that its viewer may not see."""
    may_see = await phone_oracle(w)
    leaks: dict[tuple[str, str], str] = {}
    for role, text in w.bodies:
        for phone in set(PHONE.findall(text)):
            if not may_see(role, phone) and (role, phone) not in leaks:
                at = text.find(phone)
                leaks[(role, phone)] = text[max(0, at - 120):at + 20]
    return [f"{role} saw {phone}: …{context}…" for (role, phone), context in sorted(leaks.items())]
