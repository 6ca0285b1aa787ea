"""Benchmark fixtures on top of a seeded database (demo or siming): enough rows that every screen lists 20, and a
pool of members with projects they may claim, so the write mix never meets a refusal.

Rows are valid as the service's own mutations would leave them: closure rows for new orgs, a registration and a
MEMBER role for each member, `claimed_count` equal to the live claims, an event for every order step. Inserted in
one transaction with explicit ids (PostgreSQL sequences moved past them afterwards), so it takes about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db
from models.compound import Compound
from models.enums import ClaimStatus, MemberRole, MemberType, OrgKind, ProjectCategory, ProjectStatus
from models.household import Household, HouseholdMember
from models.order import Order, OrderAction, OrderEvent, OrderStatus
from models.org import Org, OrgClosure
from models.project import Claim, Project
from models.registration import Registration
from models.user import Membership, User

MEMBER_PHONE, STREET_ADMIN_PHONE, BRANCH_ADMIN_PHONE = "13800000004", "13800000001", "13800000003"
RESIDENT_PHONE, DISTRICT_ADMIN_PHONE, STEWARD_PHONE = "13800000006", "13800000000", "13800000007"
LISTED = 20  # rows a screen lists (`first: 20`)
ROWS = LISTED + 4  # rows each list gets here: a full page and a next one
# A project's capacity may not exceed this (resolvers.project.MAX_CAPACITY): never reached by the write pool.
WRITE_CAPACITY = 10_000
_STEPS = [(OrderAction.PLACED, OrderStatus.SUBMITTED), (OrderAction.DISPATCHED, OrderStatus.DISPATCHED),
          (OrderAction.ACCEPTED, OrderStatus.ACCEPTED), (OrderAction.STARTED, OrderStatus.IN_PROGRESS),
          (OrderAction.COMPLETED, OrderStatus.COMPLETED), (OrderAction.CONFIRMED, OrderStatus.CONFIRMED)]


class FixtureError(Exception):
    """The database lacks what the fixtures build on (the demo accounts and their orgs)."""


@dataclass(frozen=True)
class BenchData:
    """Who opens each screen and with which variables, and what the write mix may do."""

    viewers: dict[str, int]  # Screen.role -> user id
    variables: dict[str, dict[str, Any]]  # Screen.name -> variables
    pool: list[int]  # members who may each claim every write project once
    write_projects: list[int]  # OPEN projects of the member's branch with room for the whole pool
    compound_id: int  # where the resident lives (placeOrder)
    added: dict[str, int] = field(default_factory=dict)  # rows inserted, by kind


def gid(type_name: str, pk: int) -> str:
    """A global id as the API shows it (the schema's to_global_id)."""
    from schema.relay import to_global_id

    return to_global_id(type_name, pk)


class _Ids:
    """Next free primary keys per model, read once: rows get their ids here so links need no round trips."""

    def __init__(self, start: dict[type[Model], int]) -> None:
        self._next = dict(start)

    def take(self, model: type[Model]) -> int:
        """The next id of a model's table."""
        value = self._next[model]
        self._next[model] = value + 1
        return value


async def _one(model: type[Model], what: str, **filters: Any) -> Any:
    row = await model.filter(**filters).order_by("id").first()
    if row is None:
        raise FixtureError(f"the seeded database has no {what}; seed the demo or siming scale first")
    return row


async def add(*, pool_members: int, write_projects: int) -> BenchData:
    """Insert the fixtures (the ORM must be initialised on a seeded database) and say who opens what."""
    now = datetime.now(timezone.utc)
    users = {phone: await _one(User, f"account {phone}", phone=phone) for phone in (
        MEMBER_PHONE, STREET_ADMIN_PHONE, BRANCH_ADMIN_PHONE, RESIDENT_PHONE, DISTRICT_ADMIN_PHONE, STEWARD_PHONE)}
    member_reg = await _one(Registration, "registration of the member", active_user_id=users[MEMBER_PHONE].id)
    branch = await Org.get(id=member_reg.branch_id)
    admin_of = {m.user_id: m.org_id for m in await Membership.filter(
        user_id__in=[users[p].id for p in (STREET_ADMIN_PHONE, BRANCH_ADMIN_PHONE, DISTRICT_ADMIN_PHONE)],
        role=MemberRole.ADMIN)}
    if admin_of.get(users[BRANCH_ADMIN_PHONE].id) != branch.id:
        raise FixtureError(f"{BRANCH_ADMIN_PHONE} is not the admin of the member's branch {branch.name}")
    street = await Org.get(id=admin_of[users[STREET_ADMIN_PHONE].id])
    district = await Org.get(id=admin_of[users[DISTRICT_ADMIN_PHONE].id])
    steward_team = await _one(Membership, "steward's team", user_id=users[STEWARD_PHONE].id, role=MemberRole.STAFF)
    household = await _one(HouseholdMember, "household of the resident", user_id=users[RESIDENT_PHONE].id)
    compound = await Compound.get(id=(await Household.get(id=household.household_id)).compound_id)
    volunteer_team = await Org.filter(parent_id=branch.id, kind=OrgKind.VOLUNTEER_TEAM).exclude(
        id=steward_team.org_id).order_by("id").first()
    password_hash = users[MEMBER_PHONE].password_hash

    models = (Org, OrgClosure, Compound, User, Membership, Registration, Project, Claim, Order, OrderEvent)
    ids = _Ids({m: int((await db.fetch(f"SELECT COALESCE(MAX(id), 0) AS n FROM {m._meta.db_table}"))[0]["n"]) + 1
                for m in models})
    rows: dict[type[Model], list[Model]] = {m: [] for m in models}
    street_lineage = [(r.ancestor_id, r.depth) for r in await OrgClosure.filter(descendant_id=street.id)]

    # Org page: the street needs a full page of children; a street of the siming scale has about ten communities.
    viewer_street, street_admin = street, users[STREET_ADMIN_PHONE].id
    children = await Org.filter(parent_id=street.id).count()
    if children < ROWS:
        counts = await db.fetch("SELECT parent_id AS p, COUNT(*) AS n FROM org WHERE parent_id IN "
                                "(SELECT id FROM org WHERE kind = 'STREET_COMMITTEE') GROUP BY parent_id "
                                "ORDER BY COUNT(*) DESC, parent_id LIMIT 1")
        if counts and counts[0]["n"] >= ROWS:
            viewer_street = await Org.get(id=counts[0]["p"])
            street_admin = _user(rows, ids, now, phone="13500099999", name="基准街道管理员", password_hash=password_hash)
            rows[Membership].append(Membership(id=ids.take(Membership), user_id=street_admin,
                                               org_id=viewer_street.id, role=MemberRole.ADMIN, created_at=now))
        else:
            for i in range(ROWS - children):
                community, community_lineage = _org(
                    rows, ids, now, name=f"{street.name[:-2]}近邻基准第{i + 1}社区", kind=OrgKind.COMMUNITY_COMMITTEE,
                    parent=street, parent_lineage=street_lineage)
                new_branch, _ = _org(rows, ids, now, name=f"{street.name[:-2]}近邻基准第{i + 1}小区党支部",
                                     kind=OrgKind.COMPOUND_BRANCH, parent=community, parent_lineage=community_lineage)
                rows[Compound].append(Compound(
                    id=ids.take(Compound), name=f"{street.name[:-2]}近邻基准第{i + 1}小区", community_id=community.id,
                    branch_id=new_branch.id, households=200 + 40 * i, has_red_committee=i % 2 == 0,
                    address=None, created_at=now))

    # Members registered at the member's branch: the write pool, and those who claimed the detail project.
    pool = [_member(rows, ids, now, i, branch=branch, password_hash=password_hash) for i in range(pool_members)]
    claimants = [_member(rows, ids, now, pool_members + i, branch=branch, password_hash=password_hash)
                 for i in range(ROWS)]

    # Projects near me and the write mix: OPEN projects of the branch, newest of all, with room for every claim.
    categories = list(ProjectCategory)
    projects = []
    for i in range(max(write_projects, ROWS)):
        starts = (now + timedelta(days=i + 1)).replace(minute=0, second=0, microsecond=0)
        project = Project(
            id=ids.take(Project), org_id=branch.id, compound_id=compound.id if i % 2 == 0 else None,
            title=f"{branch.name[:-5]}近邻基准项目{i + 1:02d}", description=f"基准项目 {i + 1}：每周服务，欢迎党员认领。",
            category=categories[i % len(categories)], status=ProjectStatus.OPEN, capacity=WRITE_CAPACITY,
            claimed_count=0, claimant_kinds="MEMBER,ORG" if i == 0 else "MEMBER", starts_at=starts,
            ends_at=starts + timedelta(hours=2), location=None if i % 3 == 2 else f"{branch.name[:-5]}党群服务站",
            created_by_id=users[BRANCH_ADMIN_PHONE].id, created_at=now, published_at=now)
        rows[Project].append(project)
        projects.append(project)

    # Project detail: the first of them, with claims at every stage (and one by a volunteer team of the branch).
    detail = projects[0]
    statuses = [ClaimStatus.ACTIVE, ClaimStatus.ACTIVE, ClaimStatus.DONE, ClaimStatus.VERIFIED,
                ClaimStatus.ACTIVE, ClaimStatus.WITHDRAWN]
    for i, user_id in enumerate(claimants):
        status = statuses[i % len(statuses)]
        at = now.replace(microsecond=0) if i == 0 else now - timedelta(minutes=ROWS - i, microseconds=i)
        hours = 1.5 + (i % 3) * 0.5
        _claim(rows, ids, detail, at=at, user_id=user_id, org_id=None, claimed_by=user_id, status=status,
               reported=hours if status in (ClaimStatus.DONE, ClaimStatus.VERIFIED) else None,
               verified=hours if status is ClaimStatus.VERIFIED else None)
        if i == LISTED // 2 and volunteer_team is not None:
            _claim(rows, ids, detail, at=at, user_id=None, org_id=volunteer_team.id,
                   claimed_by=users[BRANCH_ADMIN_PHONE].id, status=ClaimStatus.ACTIVE, reported=None, verified=None)
    # The member withdrew from one project: the list shows that claim, and the project stays claimable.
    _claim(rows, ids, projects[1], at=now, user_id=users[MEMBER_PHONE].id, org_id=None,
           claimed_by=users[MEMBER_PHONE].id, status=ClaimStatus.WITHDRAWN, reported=None, verified=None)

    # My orders: the resident's orders at every stage, most dispatched to the steward's team, each with its events.
    steps_actor = {OrderAction.PLACED: users[RESIDENT_PHONE].id, OrderAction.CONFIRMED: users[RESIDENT_PHONE].id,
                   OrderAction.DISPATCHED: users[STREET_ADMIN_PHONE].id}
    for i in range(ROWS):
        reached = i % len(_STEPS) + 1
        cancelled = i % 7 == 6
        placed_at = now - timedelta(hours=ROWS - i, microseconds=i)
        dispatched = reached >= 2  # a cancelled order keeps the provider it was dispatched to
        status = OrderStatus.CANCELLED if cancelled else _STEPS[reached - 1][1]
        order = Order(id=ids.take(Order), resident_id=users[RESIDENT_PHONE].id, compound_id=compound.id,
                      community_id=compound.community_id, category=ProjectCategory.REPAIR,
                      description=f"基准订单 {i + 1}：厨房水槽下水不畅，请上门疏通", offering_id=None, status=status,
                      provider_id=steward_team.org_id if dispatched else None,
                      price_fen=3000 if dispatched else None, rating=5 if status is OrderStatus.CONFIRMED else None,
                      comment="很及时。" if status is OrderStatus.CONFIRMED else None, created_at=placed_at,
                      updated_at=placed_at + timedelta(minutes=reached))
        rows[Order].append(order)
        for step, (action, step_status) in enumerate(_STEPS[:reached]):
            rows[OrderEvent].append(OrderEvent(
                id=ids.take(OrderEvent), order_id=order.id, action=action, status=step_status,
                actor_id=steps_actor.get(action, users[STEWARD_PHONE].id),
                provider_id=steward_team.org_id if action is not OrderAction.PLACED else None,
                price_fen=3000 if action is OrderAction.DISPATCHED else None,
                note="已疏通，试水正常。" if action is OrderAction.COMPLETED else None,
                at=placed_at + timedelta(minutes=step)))
        if cancelled:
            # The resident cancels before the provider accepts; later only staff may.
            canceller = users[RESIDENT_PHONE].id if reached <= 2 else users[STREET_ADMIN_PHONE].id
            rows[OrderEvent].append(OrderEvent(
                id=ids.take(OrderEvent), order_id=order.id, action=OrderAction.CANCELLED,
                status=OrderStatus.CANCELLED, actor_id=canceller, note="不需要了",
                provider_id=steward_team.org_id if dispatched else None, at=placed_at + timedelta(minutes=reached)))

    async with in_transaction() as conn:
        for model in models:
            await model.bulk_create(rows[model], batch_size=2000, using_db=conn)
        if db.is_postgres(conn):
            for model in models:
                table = model._meta.db_table
                await db.fetch(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)", conn=conn)
    return BenchData(
        viewers={"member": users[MEMBER_PHONE].id, "street_admin": street_admin,
                 "branch_admin": users[BRANCH_ADMIN_PHONE].id, "resident": users[RESIDENT_PHONE].id,
                 "district_admin": users[DISTRICT_ADMIN_PHONE].id},
        variables={"projects_near_me": {"first": LISTED},
                   "org_page": {"id": gid("Org", viewer_street.id), "first": LISTED},
                   "project_detail": {"id": gid("Project", detail.id), "first": LISTED},
                   "my_orders": {"first": LISTED},
                   "district_dashboard": {"id": gid("Org", district.id)}},
        pool=pool, write_projects=[p.id for p in projects], compound_id=compound.id,
        added={m._meta.db_table: len(rows[m]) for m in models if rows[m]})


def _user(rows: dict[type[Model], list[Model]], ids: _Ids, now: datetime, *, phone: str, name: str,
          password_hash: str) -> int:
    user = User(id=ids.take(User), phone=phone, display_name=name, password_hash=password_hash, created_at=now)
    rows[User].append(user)
    return user.id


def _member(rows: dict[type[Model], list[Model]], ids: _Ids, now: datetime, i: int, *, branch: Org,
            password_hash: str) -> int:
    """A party member registered at the branch (双报到), with the MEMBER role that registering gives."""
    user_id = _user(rows, ids, now, phone=f"135{i:08d}", name=f"基准党员{i + 1:04d}", password_hash=password_hash)
    rows[Registration].append(Registration(id=ids.take(Registration), user_id=user_id, branch_id=branch.id,
                                           member_type=MemberType.RETIRED, work_unit=None, registered_at=now,
                                           active_user_id=user_id))
    rows[Membership].append(Membership(id=ids.take(Membership), user_id=user_id, org_id=branch.id,
                                       role=MemberRole.MEMBER, created_at=now))
    return user_id


def _org(rows: dict[type[Model], list[Model]], ids: _Ids, now: datetime, *, name: str, kind: OrgKind, parent: Org,
         parent_lineage: list[tuple[int, int]]) -> tuple[Org, list[tuple[int, int]]]:
    """An org and its closure rows (itself at depth 0, then the parent's ancestors-or-self one level further);
    returns the org and its own lineage, (ancestor, depth) pairs, for its children."""
    org = Org(id=ids.take(Org), name=name, kind=kind, parent_id=parent.id, depth=parent.depth + 1, created_at=now)
    rows[Org].append(org)
    lineage = [(org.id, 0), *((ancestor, depth + 1) for ancestor, depth in parent_lineage)]
    for ancestor, depth in lineage:
        rows[OrgClosure].append(OrgClosure(id=ids.take(OrgClosure), ancestor_id=ancestor, descendant_id=org.id,
                                           depth=depth))
    return org, lineage


def _claim(rows: dict[type[Model], list[Model]], ids: _Ids, project: Project, *, at: datetime, user_id: int | None,
           org_id: int | None, claimed_by: int, status: ClaimStatus, reported: float | None,
           verified: float | None) -> None:
    """A claim as the service leaves it: a live one holds the claimant's key and a place (`claimed_count`)."""
    live = status in (ClaimStatus.ACTIVE, ClaimStatus.DONE, ClaimStatus.VERIFIED)
    key = (f"o:{org_id}" if org_id is not None else f"u:{user_id}") if live else None
    rows[Claim].append(Claim(id=ids.take(Claim), project_id=project.id, user_id=user_id, org_id=org_id,
                             claimed_by_id=claimed_by, status=status, active_key=key, reported_hours=reported,
                             verified_hours=verified, created_at=at, updated_at=at))
    project.claimed_count += 1 if live else 0
