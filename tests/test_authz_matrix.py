"""Authorisation matrix: every role × every position of the target (own, subtree, above, sibling subtree, paired,
unrelated, missing) × every mutation and every `node` type, against tables of expected outcomes written here from
the contract (../shared/API-CONTRACT.md) and the schema's documented rules, never asked of the code under test.
Also: forbidden objects look exactly like missing ones, and no response of the run shows a full phone number to
someone who may not see it.

The world (tests/authz_world.py) is the demo data set plus a sibling street subtree, an unrelated district, a paired
and an unrelated partner unit and one person per role. A case runs against a target made for it through the models;
the roles expected to be refused go first on one shared target, and each role expected to be allowed gets a fresh
one (or the shared one while it is untouched), so the only reason for a refusal is authorisation.

Outcome of a mutation: DENY is a top-level UNAUTHENTICATED/FORBIDDEN, or a payload NOT_FOUND on the id of the
object acted on (hidden = missing), or one of the few payload errors that say "not you" (listed per mutation in
`REFUSALS`); anything else got past the gate (ALLOW). An expected ALLOW must also succeed outright (no payload
errors): the inputs are valid, so a business error there means the case is built wrong.

A failure prints a table of unexpected allows and denies. Bugs found and left to their owners are listed in
`KNOWN_BUGS`: left out of the matrix and kept as strict xfails until fixed. The phone scan judges every full number
in every response body by `tests.authz_world.phone_oracle`, the documented rules computed from the rows.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from jinlin.settings import Settings
from models.alliance import AllianceMemberStatus
from models.duty import DutyShift
from models import duty as duty_model
from models import org as org_model
from models.enums import MemberRole, OrgKind, ProjectStatus
from models.household import HouseholdMember
from models.order import OrderStatus
from models.org import Org
from models.poll import PollStatus
from models.registration import Registration
from models.resource import ShareScope
from models.user import Membership
from schema.relay import from_global_id
from tests.authz_world import (
    ANON, BRANCH_A, BRANCH_S, COMMISSIONER, COMMUNITY_A, COMMUNITY_S, DISTRICT_A, DISTRICT_S, MEMBER, RESIDENT,
    ROLES, STREET_A, STREET_S, UNIT_A, World, build, org_gid, relation, scan_phones,
)
from tests.conftest import Api, gid, make_settings


@pytest.fixture
def settings() -> Settings:
    """The matrix sends thousands of requests as the same dozen people within seconds: rate limits (tested on their
    own in test_rate_limit.py) are off here, whatever they are called."""
    base = make_settings()
    return dataclasses.replace(base, **{f.name: None for f in dataclasses.fields(base) if f.name.startswith("rate_")})


# --- who: role groups, written from the contract's rules ----------------------------------------------------------
# "ADMIN and STAFF of an org manage that org and its whole subtree"; "A PARTNER_UNIT admin manages the unit".
NOBODY: frozenset[str] = frozenset()
LOGGED_IN = frozenset(ROLES) - {ANON}
D_MGR = frozenset({DISTRICT_A, DISTRICT_S})                     # manage D and everything below (S2's subtree too)
S1_MGR = D_MGR | {STREET_A, STREET_S}                           # manage S1 and below
C1_MGR = S1_MGR | {COMMUNITY_A, COMMUNITY_S}                    # manage C1 and below
B1_MGR = C1_MGR | {BRANCH_A, BRANCH_S}                          # manage B1, T1 and K1
D_ADM = frozenset({DISTRICT_A})                                 # "only ADMINs" rules
S1_ADM = D_ADM | {STREET_A}
C1_ADM = S1_ADM | {COMMUNITY_A}
B1_ADM = C1_ADM | {BRANCH_A}
UNIT = frozenset({UNIT_A})                                      # manages P1
K1_RESIDENTS = frozenset({RESIDENT, MEMBER})                    # live in 观远里小区
ANON_ONLY = frozenset({ANON})

# Managers of an org at each position (D: district, S1: street, C1: community, B1: branch, T1: team under B1,
# sibling: the S2 subtree, paired: P1, unrelated: P2 or D2's subtree).
MANAGERS = {"district": D_MGR, "street": S1_MGR, "community": C1_MGR, "branch": B1_MGR, "team": B1_MGR,
            "sibling": D_MGR, "paired": UNIT, "unrelated": NOBODY, "missing": NOBODY}
ADMINS = {"district": D_ADM, "street": S1_ADM, "community": C1_ADM, "branch": B1_ADM, "team": B1_ADM,
          "sibling": D_ADM, "paired": UNIT, "unrelated": NOBODY, "missing": NOBODY}

# --- the mutation table: position of the target -> the roles that may do it (everyone else is refused) ------------
EXPECT: dict[str, dict[str, frozenset[str]]] = {
    # Organisations. Children need a manager of the parent; anyone may found a partner unit (and becomes its ADMIN);
    # a district needs a district ADMIN.
    "createOrg": {"district": D_MGR, "street": S1_MGR, "community": C1_MGR, "branch": B1_MGR, "sibling": D_MGR,
                  "unrelated": NOBODY, "missing": NOBODY, "root:unit": LOGGED_IN, "root:district": D_ADM},
    "updateOrg": dict(MANAGERS),
    # Compounds are the community's register: its managers (or above) keep it, not the branch.
    "createCompound": {"community": C1_MGR, "branch": C1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                       "missing": NOBODY},
    "updateCompound": {"branch": C1_MGR, "sibling": D_MGR, "unrelated": NOBODY, "missing": NOBODY},
    # "pairPartner needs ADMIN/STAFF of the street or community side" (a unit's admin cannot pair its unit).
    "pairPartner": {"community": C1_MGR, "street": S1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                    "paired": D_MGR, "missing": NOBODY},
    "unpairPartner": {"community": C1_MGR, "street": S1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                      "paired": C1_MGR, "missing": NOBODY},
    # Members: managers of the org; ADMINs only by ADMINs; commissioners by the unit or the side paired with it.
    "addMember": {**MANAGERS, "branch:ADMIN": B1_ADM, "paired:COMMISSIONER": UNIT | C1_MGR,
                  "sibling:COMMISSIONER": D_MGR, "unrelated:COMMISSIONER": NOBODY},
    "removeMember": {**MANAGERS, "branch:ADMIN": B1_ADM, "paired:COMMISSIONER": UNIT | C1_MGR,
                     "sibling:COMMISSIONER": D_MGR, "unrelated:COMMISSIONER": NOBODY, "self": LOGGED_IN},
    # 双报到: anyone registers where they live; the member or the branch's managers end it.
    "registerAtBranch": {"branch": LOGGED_IN, "sibling": LOGGED_IN, "unrelated": LOGGED_IN, "missing": NOBODY},
    "endRegistration": {"self": LOGGED_IN, "branch": B1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                        "missing": NOBODY},
    # Projects: the publisher's ADMIN/STAFF (or above) create and steer them and verify claims.
    "createProject": {"branch": B1_MGR, "team": B1_MGR, "community": C1_MGR, "street": S1_MGR, "sibling": D_MGR,
                      "unrelated": NOBODY, "missing": NOBODY},
    **{name: {"branch": B1_MGR, "team": B1_MGR, "community": C1_MGR, "street": S1_MGR, "sibling": D_MGR,
              "unrelated": NOBODY, "missing": NOBODY}
       for name in ("publishProject", "closeProject", "completeProject", "cancelProject")},
    # Members claim projects published by their org or an ancestor of it; a unit's ADMIN/STAFF claim in its name
    # projects of the orgs it is paired with (and below).
    "claimProject": {"branch": frozenset({MEMBER, BRANCH_A, BRANCH_S}),
                     "community": frozenset({MEMBER, BRANCH_A, BRANCH_S, COMMUNITY_A, COMMUNITY_S}),
                     "street": frozenset({MEMBER, BRANCH_A, BRANCH_S, COMMUNITY_A, COMMUNITY_S, STREET_A, STREET_S}),
                     "team": NOBODY, "sibling": NOBODY, "unrelated": NOBODY, "missing": NOBODY,
                     "paired:org": UNIT, "unrelated:org": NOBODY,
                     # "Managing the team's parent is not running the team: only its own ADMIN/STAFF speak for it."
                     "team:org": NOBODY},
    # Withdrawing and reporting belong to the claimant: the member, or the claiming org's own ADMIN/STAFF (nobody
    # above T1 speaks for it, as for claiming).
    **{name: {"self": LOGGED_IN, "branch": NOBODY, "team": NOBODY, "paired": UNIT, "sibling": NOBODY,
              "unrelated": NOBODY, "missing": NOBODY} for name in ("withdrawClaim", "reportClaimDone")},
    # The publisher's managers verify what others report (never their own claim: hours are checked by a second
    # person).
    "verifyClaim": {"branch": B1_MGR, "team": B1_MGR, "community": C1_MGR, "paired": C1_MGR, "sibling": D_MGR,
                    "unrelated": NOBODY, "missing": NOBODY, "self": NOBODY},
    # One's own notifications only (others' ids are ignored, not revealed).
    "markNotificationsRead": {"self": LOGGED_IN, "other": NOBODY, "missing": NOBODY},
    # Resources: the owner's managers offer and change them; the requesting org's managers ask for what is shared
    # with it (PARTNERS: its subtree and paired units); the owner's managers decide; requester or owner cancels.
    "createResource": dict(MANAGERS),
    **{name: {"branch": B1_MGR, "community": C1_MGR, "street": S1_MGR, "sibling": D_MGR, "paired": UNIT,
              "unrelated": NOBODY, "missing": NOBODY} for name in ("updateResource", "retireResource")},
    "requestBooking": {"branch": B1_MGR, "team": B1_MGR, "community": C1_MGR, "paired": UNIT, "street": NOBODY,
                       "sibling": NOBODY, "unrelated": NOBODY, "missing": NOBODY},
    **{name: {"community": C1_MGR, "branch": B1_MGR, "paired": UNIT, "sibling": D_MGR, "unrelated": NOBODY,
              "missing": NOBODY} for name in ("approveBooking", "rejectBooking")},
    "cancelBooking": {"community": B1_MGR, "branch": B1_MGR, "paired": UNIT | C1_MGR, "sibling": D_MGR,
                      "unrelated": NOBODY, "missing": NOBODY},
    # Alliances: ADMINs (not STAFF) of the lead found and invite; the invited org's ADMIN answers; a member's ADMIN
    # leaves, or the lead's ADMIN removes it.
    "createAlliance": dict(ADMINS),
    "inviteToAlliance": {"branch": B1_ADM, "community": C1_ADM, "paired": UNIT, "sibling": D_ADM,
                         "unrelated": NOBODY, "missing": NOBODY},
    "respondAllianceInvite": {"branch": B1_ADM, "community": C1_ADM, "paired": UNIT, "sibling": D_ADM,
                              "unrelated": NOBODY, "lead:paired": NOBODY, "missing": NOBODY},
    "leaveAlliance": {"branch": B1_ADM, "community": C1_ADM, "paired": UNIT, "sibling": D_ADM,
                      "unrelated": NOBODY, "lead:paired": UNIT, "missing": NOBODY},
    # Meetings: the convener's staff schedule and record; an invited org's staff answer for it; check-in by the
    # invited org's staff or the convener's staff at the door; the owner's or convener's staff convert.
    "scheduleMeeting": {"community": C1_MGR, "street": S1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                        "missing": NOBODY},
    "respondMeeting": {"branch": B1_MGR, "paired": UNIT, "sibling": D_MGR, "unrelated": NOBODY,
                       "convener": NOBODY, "missing": NOBODY},
    "checkInMeeting": {"branch": B1_MGR, "paired": UNIT | C1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                       "convener": C1_MGR, "missing": NOBODY},
    "recordResolution": {"community": C1_MGR, "street": S1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                         "missing": NOBODY},
    "convertResolutionToProject": {"branch": B1_MGR, "community": C1_MGR, "paired": UNIT | C1_MGR,
                                   "sibling": D_MGR, "unrelated": NOBODY, "missing": NOBODY},
    # 轮值驻点: the centre's staff plan and swap; a unit's staff consent to a swap and check in on the day.
    "generateDutyRoster": {"community": C1_MGR, "street": S1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                           "missing": NOBODY},
    "swapDuty": {"community": C1_MGR | UNIT, "street": S1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                 "missing": NOBODY},
    "checkInDuty": {"paired": UNIT, "centre": NOBODY, "sibling": NOBODY, "unrelated": NOBODY, "missing": NOBODY},
    # Price list: the provider's staff post; the government side (a community/street/district above a team, the
    # orgs paired with a unit, or above) approves, never the provider alone.
    "createServiceOffering": {"team": B1_MGR, "paired": UNIT, "sibling": D_MGR, "unrelated": NOBODY,
                              "missing": NOBODY},
    "approveServiceOffering": {"team": C1_MGR, "paired": C1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                               "missing": NOBODY},
    # Orders: residents of the compound order; the community's staff dispatch; the provider's staff serve; the
    # resident confirms; the resident (before ACCEPTED) or the community's staff cancel.
    "placeOrder": {"branch": K1_RESIDENTS, "sibling": NOBODY, "unrelated": NOBODY, "missing": NOBODY},
    "dispatchOrder": {"branch": C1_MGR, "sibling": D_MGR, "unrelated": NOBODY, "missing": NOBODY},
    **{name: {"team": B1_MGR, "paired": UNIT, "sibling": D_MGR, "unrelated": NOBODY, "missing": NOBODY}
       for name in ("acceptOrder", "declineOrder", "startOrder", "completeOrder")},
    "confirmOrder": {"branch": frozenset({RESIDENT}), "sibling": NOBODY, "unrelated": NOBODY, "missing": NOBODY},
    "cancelOrder": {"branch": C1_MGR | {RESIDENT}, "team": C1_MGR | {RESIDENT}, "sibling": D_MGR,
                    "unrelated": NOBODY, "missing": NOBODY},
    # Opinions: anyone logged in speaks from the app; staff record for a compound or org they manage; managers of
    # the owning org, the assignee or the compound's branch (or above) assign, reply and close.
    "submitOpinion": {"branch": LOGGED_IN, "branch:visit": B1_MGR, "sibling:visit": D_MGR,
                      "unrelated:visit": NOBODY, "paired:visit": UNIT, "missing:visit": NOBODY},
    **{name: {"branch": B1_MGR, "paired": B1_MGR | UNIT, "sibling": D_MGR, "unrelated": NOBODY, "missing": NOBODY}
       for name in ("assignOpinion", "replyOpinion", "closeOpinion")},
    # Households and polls: managers of the compound's branch (or above); residents vote, one vote per household.
    "createHousehold": {"branch": B1_MGR, "sibling": D_MGR, "unrelated": NOBODY, "missing": NOBODY},
    "addHouseholdMember": {"branch": B1_MGR, "self": B1_MGR, "sibling": D_MGR, "unrelated": NOBODY,
                           "missing": NOBODY},
    **{name: {"branch": B1_MGR, "sibling": D_MGR, "unrelated": NOBODY, "missing": NOBODY}
       for name in ("createPoll", "openPoll", "closePoll")},
    "castVote": {"branch": K1_RESIDENTS, "sibling": NOBODY, "unrelated": NOBODY, "missing": NOBODY},
    # The account mutations are for people without a token (only checked for anonymous callers).
    **{name: {"self": ANON_ONLY} for name in ("signUp", "login", "refreshToken", "logout")},
}

# Payload errors that are a refusal ("not you"), besides NOT_FOUND on the ids of `TARGETS`.
REFUSALS: dict[str, set[str]] = {
    "addMember": {"INVALID:role"},                       # admin_only: a STAFF appointing an ADMIN
    "removeMember": {"INVALID:userId"},                  # admin_only: a STAFF removing an ADMIN
    "claimProject": {"INVALID:projectId", "INVALID:onBehalfOfOrgId"},  # not eligible (as member / for that org)
    "requestBooking": {"INVALID:forOrgId"},              # not shared with that org
    "placeOrder": {"INVALID:compoundId"},                # not a resident of the compound
}
# The input fields naming what a mutation acts on: NOT_FOUND there is "hidden" (or missing) — a refusal.
TARGETS: dict[str, tuple[str, ...]] = {
    "createOrg": ("parentId",), "updateOrg": ("orgId",), "createCompound": ("communityId", "branchId"),
    "updateCompound": ("compoundId",), "pairPartner": ("partnerUnitId", "orgId"),
    "unpairPartner": ("partnerUnitId", "orgId"), "addMember": ("orgId",), "removeMember": ("orgId",),
    "registerAtBranch": ("branchId",), "endRegistration": ("registrationId",), "createProject": ("orgId",),
    "publishProject": ("projectId",), "closeProject": ("projectId",), "completeProject": ("projectId",),
    "cancelProject": ("projectId",), "claimProject": ("projectId", "onBehalfOfOrgId"),
    "withdrawClaim": ("claimId",), "reportClaimDone": ("claimId",), "verifyClaim": ("claimId",),
    "createResource": ("ownerOrgId",), "updateResource": ("resourceId",), "retireResource": ("resourceId",),
    "requestBooking": ("resourceId", "forOrgId"), "approveBooking": ("bookingId",), "rejectBooking": ("bookingId",),
    "cancelBooking": ("bookingId",), "createAlliance": ("leadOrgId",), "inviteToAlliance": ("allianceId", "orgId"),
    "respondAllianceInvite": ("allianceId", "orgId"), "leaveAlliance": ("allianceId", "orgId"),
    "scheduleMeeting": ("convenerOrgId",), "respondMeeting": ("meetingId", "orgId"),
    "checkInMeeting": ("meetingId", "orgId"), "recordResolution": ("meetingId", "ownerOrgId"),
    "convertResolutionToProject": ("resolutionId",), "generateDutyRoster": ("centreOrgId",),
    "swapDuty": ("shiftId", "withShiftId"), "checkInDuty": ("shiftId",),
    "createServiceOffering": ("providerOrgId",), "approveServiceOffering": ("offeringId",),
    "placeOrder": ("compoundId",), **{name: ("orderId",) for name in (
        "dispatchOrder", "acceptOrder", "declineOrder", "startOrder", "completeOrder", "confirmOrder", "cancelOrder")},
    "submitOpinion": ("compoundId", "orgId"), "assignOpinion": ("opinionId",), "replyOpinion": ("opinionId",),
    "closeOpinion": ("opinionId",), "createHousehold": ("compoundId",), "addHouseholdMember": ("householdId",),
    "createPoll": ("compoundId",), "openPoll": ("pollId",), "closePoll": ("pollId",), "castVote": ("pollId",),
}

# Mutations grouped into test functions (each gets a world of its own).
GROUPS = {
    "organisations": ["createOrg", "updateOrg", "createCompound", "updateCompound", "pairPartner", "unpairPartner",
                      "addMember", "removeMember"],
    "projects": ["createProject", "publishProject", "closeProject", "completeProject", "cancelProject",
                 "claimProject", "withdrawClaim", "reportClaimDone", "verifyClaim", "markNotificationsRead"],
    "co-building": ["createResource", "updateResource", "retireResource", "requestBooking", "approveBooking",
                    "rejectBooking", "cancelBooking", "createAlliance", "inviteToAlliance", "respondAllianceInvite",
                    "leaveAlliance", "scheduleMeeting", "respondMeeting", "checkInMeeting", "recordResolution",
                    "convertResolutionToProject", "generateDutyRoster", "swapDuty", "checkInDuty"],
    "resident services": ["createServiceOffering", "approveServiceOffering", "placeOrder", "dispatchOrder",
                          "acceptOrder", "declineOrder", "startOrder", "completeOrder", "confirmOrder", "cancelOrder",
                          "submitOpinion", "assignOpinion", "replyOpinion", "closeOpinion", "createHousehold",
                          "addHouseholdMember", "createPoll", "openPoll", "closePoll", "castVote"],
    # Mutations that change the actor themself (registrations) and the account mutations.
    "self": ["registerAtBranch", "endRegistration", "signUp", "login", "refreshToken", "logout"],
}

# Authorisation bugs found by the matrix and left for their owners: (mutation, position) -> what is wrong. These
# positions are left out of the matrix run and asserted still wrong by strict xfails (test_known_authorisation_bug):
# when one is fixed, its xfail passes, fails the run, and the entry goes.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


# --- making targets -------------------------------------------------------------------------------------------------
@dataclass
class Case:
    """One mutation's input against a target made for it."""

    input: dict
    node: str | None = None                                 # global id of the object acted on (existence-leak check)
    cleanup: Callable[[], Awaitable[None]] | None = None    # run after the call (puts the actor back, unpairs ...)
    shared: bool = True                                     # may serve every role until someone is allowed


Maker = Callable[[World, str, str], Awaitable[Case | None]]
MAKERS: dict[str, Maker] = {}
MISSING_PK = 999_999


def missing(type_name: str) -> str:
    return gid(type_name, MISSING_PK)


def makes(*names: str) -> Callable[[Maker], Maker]:
    def register(fn: Maker) -> Maker:
        for name in names:
            MAKERS[name] = fn
        return fn
    return register


ORG_AT = {"district": "D", "street": "S1", "community": "C1", "branch": "B1", "team": "T1", "sibling": "B2",
          "paired": "P1", "unrelated": "P2"}


def at(w: World, position: str, table: dict[str, str] = ORG_AT) -> str:
    """Global id of the org at a position (a missing one for `missing`)."""
    return missing("Org") if position == "missing" else org_gid(w.o[table[position]])


def soon(hours: int = 0) -> str:
    return (datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2, hours=hours)).isoformat()


@makes("createOrg")
async def _create_org(w: World, pos: str, role: str) -> Case:
    name = f"新组织{w.n()}"
    if pos.startswith("root:"):
        async def forget_founder() -> None:  # the founder became ADMIN of a root org: not part of the world
            await Membership.filter(org_id__in=[o.id for o in await Org.filter(name=name)]).delete()
        kind = "PARTNER_UNIT" if pos == "root:unit" else "DISTRICT"
        return Case({"name": name, "kind": kind, "parentId": None}, cleanup=forget_founder)
    parent, kind = {"district": ("D", "STREET_COMMITTEE"), "street": ("S1", "COMMUNITY_COMMITTEE"),
                    "community": ("C1", "COMPOUND_BRANCH"), "branch": ("B1", "VOLUNTEER_TEAM"),
                    "sibling": ("C2", "COMPOUND_BRANCH"), "unrelated": ("C3", "COMPOUND_BRANCH"),
                    "missing": (None, "COMPOUND_BRANCH")}[pos]
    return Case({"name": name, "kind": kind, "parentId": org_gid(w.o[parent]) if parent else missing("Org")})


@makes("updateOrg", "createResource", "createAlliance")
async def _on_org(w: World, pos: str, role: str) -> Case:
    org_id = at(w, pos)
    if w.current == "updateOrg":  # renamed to its own name: nothing changes for the cases after it
        return Case({"orgId": org_id, "name": w.o[ORG_AT[pos]].name if pos != "missing" else "无"})
    if w.current == "createResource":
        return Case({"ownerOrgId": org_id, "name": "测试器材", "kind": "EQUIPMENT", "quantity": 1,
                     "shareScope": "SUBTREE"})
    return Case({"leadOrgId": org_id, "name": "测试联盟"})


@makes("createCompound")
async def _create_compound(w: World, pos: str, role: str) -> Case:
    community, branch = {"community": ("C1", None), "branch": ("C1", "B1"), "sibling": ("C2", None),
                         "unrelated": ("C3", None), "missing": (None, None)}[pos]
    return Case({"name": f"新小区{w.n()}", "communityId": org_gid(w.o[community]) if community else missing("Org"),
                 "branchId": org_gid(w.o[branch]) if branch else None})


COMPOUND_AT = {"branch": "K1", "sibling": "K2", "unrelated": "K3"}


@makes("updateCompound")
async def _update_compound(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"compoundId": missing("Compound"), "households": 1})
    compound = w.k[COMPOUND_AT[pos]]
    return Case({"compoundId": gid("Compound", compound.id), "households": compound.households})


PAIR_AT = {"community": "C1", "street": "S1", "sibling": "C2", "unrelated": "C3"}


@makes("pairPartner")
async def _pair(w: World, pos: str, role: str) -> Case:
    if pos == "paired":  # P1's own admin pairing P1 with a street: the street side decides
        async def unpair() -> None:
            await org_model.unpair(partner=w.o["P1"], org=w.o["S2"])
        return Case({"partnerUnitId": org_gid(w.o["P1"]), "orgId": org_gid(w.o["S2"])}, cleanup=unpair)
    unit = await w.unit()
    return Case({"partnerUnitId": org_gid(unit), "orgId": at(w, pos, PAIR_AT)})


@makes("unpairPartner")
async def _unpair(w: World, pos: str, role: str) -> Case:
    if pos == "paired":  # P1's own admin leaving its pairing with C1: the community side decides
        async def repair() -> None:
            await org_model.pair(partner=w.o["P1"], org=w.o["C1"])
        return Case({"partnerUnitId": org_gid(w.o["P1"]), "orgId": org_gid(w.o["C1"])}, cleanup=repair)
    if pos == "missing":
        return Case({"partnerUnitId": org_gid(await w.unit()), "orgId": missing("Org")})
    unit = await w.unit(paired_with=w.o[PAIR_AT[pos]])
    return Case({"partnerUnitId": org_gid(unit), "orgId": at(w, pos, PAIR_AT)})


COMMISSIONER_AT = {"paired": "P1", "sibling": "U2", "unrelated": "P2"}


@makes("addMember")
async def _add_member(w: World, pos: str, role: str) -> Case:
    person = await w.person()
    base, _, given = pos.partition(":")
    org = at(w, base, COMMISSIONER_AT if given == "COMMISSIONER" else ORG_AT)
    return Case({"orgId": org, "phone": person.phone, "role": given or "MEMBER"})


@makes("removeMember")
async def _remove_member(w: World, pos: str, role: str) -> Case | None:
    base, _, given = pos.partition(":")
    if base == "self":  # leaving: the actor's own membership of a team made for it
        if role == ANON:
            return None
        team = await w.new_org(OrgKind.VOLUNTEER_TEAM, w.o["B2"])
        user = await w.member_of(team, user=w.people[role])

        async def drop() -> None:
            await Membership.filter(user_id=user.id, org_id=team.id).delete()
        return Case({"orgId": org_gid(team), "userId": gid("User", user.id)}, cleanup=drop, shared=False)
    if base == "missing":
        return Case({"orgId": missing("Org"), "userId": gid("User", (await w.person()).id)})
    org = w.o[(COMMISSIONER_AT if given == "COMMISSIONER" else ORG_AT)[base]]
    person = await w.member_of(org, MemberRole(given) if given else MemberRole.MEMBER)
    return Case({"orgId": org_gid(org), "userId": gid("User", person.id)})


BRANCH_AT = {"branch": "B1", "sibling": "B2", "unrelated": "B3"}


@makes("registerAtBranch")
async def _register(w: World, pos: str, role: str) -> Case:
    restore = await w.snapshot(w.people[role]) if role != ANON else None
    return Case({"branchId": at(w, pos, BRANCH_AT), "memberType": "RETIRED"}, cleanup=restore, shared=False)


@makes("endRegistration")
async def _end_registration(w: World, pos: str, role: str) -> Case | None:
    if pos == "missing":
        return Case({"registrationId": missing("Registration")})
    if pos == "self":
        if role == ANON:
            return None
        user = w.people[role]
        restore = await w.snapshot(user)
        mine = await Registration.get_or_none(active_user_id=user.id) or await w.registered(w.o["B1"], user)
        return Case({"registrationId": gid("Registration", mine.id)}, cleanup=restore, shared=False,
                    node=gid("Registration", mine.id))
    reg = await w.registered(w.o[BRANCH_AT[pos]])
    return Case({"registrationId": gid("Registration", reg.id)}, node=gid("Registration", reg.id))


PROJECT_AT = {"branch": "B1", "team": "T1", "community": "C1", "street": "S1", "sibling": "B2", "unrelated": "B3"}


@makes("createProject")
async def _create_project(w: World, pos: str, role: str) -> Case:
    return Case({"orgId": at(w, pos, PROJECT_AT), "title": "新项目", "category": "OTHER", "capacity": 3,
                 "claimantKinds": ["MEMBER", "ORG"]})


@makes("publishProject", "closeProject", "completeProject", "cancelProject")
async def _steer_project(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"projectId": missing("Project")})
    status = ProjectStatus.DRAFT if w.current == "publishProject" else ProjectStatus.OPEN
    project = await w.project(w.o[PROJECT_AT[pos]], status)
    return Case({"projectId": gid("Project", project.id)}, node=gid("Project", project.id))


@makes("claimProject")
async def _claim_project(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"projectId": missing("Project")})
    if pos.endswith(":org"):  # in the name of P1 (paired with C1, not with anything of S2), or of B1's team
        project = await w.project(w.o[{"paired:org": "C1", "unrelated:org": "B2", "team:org": "B1"}[pos]])
        return Case({"projectId": gid("Project", project.id),
                     "onBehalfOfOrgId": org_gid(w.o["T1" if pos == "team:org" else "P1"])},
                    node=gid("Project", project.id))
    project = await w.project(w.o[PROJECT_AT[pos]])
    return Case({"projectId": gid("Project", project.id)}, node=gid("Project", project.id))


CLAIM_AT = {"branch": "B1", "community": "C1", "sibling": "B2", "unrelated": "B3"}


async def _a_claim(w: World, pos: str, role: str, *, done: bool) -> Case | None:
    """A live claim: the actor's own (`self`), a member's of the position's project, P1's on a C1 project, or T1's
    on a B1 project."""
    if pos == "missing":
        return Case({"claimId": missing("Claim")})
    if pos == "self":  # as a member, on a project of their own org (their branch's for those without one)
        if role == ANON or (w.current == "verifyClaim" and role in (DISTRICT_A, DISTRICT_S)):
            return None  # a district publishes nothing, so its people hold no claim a district manager verifies
        own = {COMMUNITY_A: "C1", COMMUNITY_S: "C1", STREET_A: "S1", STREET_S: "S1"}.get(role, "B1")
        claim = await w.claim(await w.project(w.o[own]), user=w.people[role], done=done)
        return Case({"claimId": gid("Claim", claim.id)}, node=gid("Claim", claim.id), shared=False)
    if pos in ("paired", "team"):
        project = await w.project(w.o["C1" if pos == "paired" else "B1"])
        claim = await w.claim(project, org=w.o["P1" if pos == "paired" else "T1"], done=done)
    else:
        claim = await w.claim(await w.project(w.o[CLAIM_AT[pos]]), done=done)
    return Case({"claimId": gid("Claim", claim.id)}, node=gid("Claim", claim.id))


@makes("withdrawClaim")
async def _withdraw(w: World, pos: str, role: str) -> Case | None:
    return await _a_claim(w, pos, role, done=False)


@makes("reportClaimDone")
async def _report(w: World, pos: str, role: str) -> Case | None:
    case = await _a_claim(w, pos, role, done=False)
    if case is not None:
        case.input["hours"] = 2.0
    return case


@makes("verifyClaim")
async def _verify(w: World, pos: str, role: str) -> Case | None:
    case = await _a_claim(w, pos, role, done=True)
    if case is not None:
        case.input.update(approved=True, hours=2.0)
    return case


@makes("markNotificationsRead")
async def _mark_read(w: World, pos: str, role: str) -> Case | None:
    if pos == "missing":
        return Case({"ids": [missing("Notification")]})
    if pos == "self" and role == ANON:
        return None
    owner = w.people[role] if pos == "self" else await w.person()
    note = await w.notification(owner)
    return Case({"ids": [gid("Notification", note.id)]}, shared=pos != "self")


RESOURCE_AT = {"branch": "B1", "community": "C1", "street": "S1", "sibling": "B2", "paired": "P1", "unrelated": "P2"}


@makes("updateResource", "retireResource")
async def _change_resource(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"resourceId": missing("Resource")})
    resource = await w.resource(w.o[RESOURCE_AT[pos]])
    extra = {"description": "更新说明"} if w.current == "updateResource" else {}
    return Case({"resourceId": gid("Resource", resource.id), **extra}, node=gid("Resource", resource.id))


@makes("requestBooking")
async def _request_booking(w: World, pos: str, role: str) -> Case:
    resource = await w.resource(w.o["C1"], ShareScope.PARTNERS)  # shared with C1's subtree and its paired units
    for_org = {"branch": "B1", "team": "T1", "community": "C1", "street": "S1", "paired": "P1", "sibling": "B2",
               "unrelated": "P2", "missing": "B1"}[pos]
    return Case({"resourceId": missing("Resource") if pos == "missing" else gid("Resource", resource.id),
                 "forOrgId": org_gid(w.o[for_org]), "startsAt": soon(w.n()), "endsAt": soon(w.n() + 1),
                 "quantity": 1}, node=gid("Resource", resource.id))


BOOKING_AT = {"community": ("C1", "B1", ShareScope.PARTNERS), "branch": ("B1", "T1", ShareScope.SUBTREE),
              "paired": ("P1", "C1", ShareScope.PARTNERS), "sibling": ("B2", "T2", ShareScope.SUBTREE),
              "unrelated": ("P2", "P2", ShareScope.SUBTREE)}


@makes("approveBooking", "rejectBooking", "cancelBooking")
async def _decide_booking(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"bookingId": missing("Booking")})
    owner, for_org, scope = BOOKING_AT[pos]
    booking = await w.booking(await w.resource(w.o[owner], scope), w.o[for_org])
    return Case({"bookingId": gid("Booking", booking.id), "reason": "测试"}, node=gid("Booking", booking.id))


ALLIANCE_AT = {"branch": "B1", "community": "C1", "paired": "P1", "sibling": "B2", "unrelated": "P2"}


@makes("inviteToAlliance")
async def _invite(w: World, pos: str, role: str) -> Case:
    newcomer = await w.unit()
    if pos == "missing":
        return Case({"allianceId": missing("Alliance"), "orgId": org_gid(newcomer)})
    alliance = await w.alliance(w.o[ALLIANCE_AT[pos]])
    return Case({"allianceId": gid("Alliance", alliance.id), "orgId": org_gid(newcomer)})


@makes("respondAllianceInvite", "leaveAlliance")
async def _alliance_member(w: World, pos: str, role: str) -> Case:
    status = AllianceMemberStatus.INVITED if w.current == "respondAllianceInvite" else AllianceMemberStatus.ACTIVE
    extra = {"accept": False} if w.current == "respondAllianceInvite" else {}  # declining changes nobody's sight
    if pos == "missing":
        return Case({"allianceId": missing("Alliance"), "orgId": org_gid(w.o["B1"]), **extra})
    if pos == "lead:paired":  # P1 leads; the acting org is a newcomer without people
        newcomer = await w.unit()
        alliance = await w.alliance(w.o["P1"], {newcomer.id: status})
        return Case({"allianceId": gid("Alliance", alliance.id), "orgId": org_gid(newcomer), **extra})
    org = w.o[ALLIANCE_AT[pos]]
    alliance = await w.alliance(await w.unit(), {org.id: status})
    return Case({"allianceId": gid("Alliance", alliance.id), "orgId": org_gid(org), **extra})


CONVENER_AT = {"community": "C1", "street": "S1", "sibling": "C2", "unrelated": "C3"}


@makes("scheduleMeeting")
async def _schedule(w: World, pos: str, role: str) -> Case:
    return Case({"convenerOrgId": at(w, pos, CONVENER_AT), "title": "测试会议", "startsAt": soon(),
                 "inviteeOrgIds": [org_gid(w.o["P2"])]})


# position -> (convener, invited org acting)
INVITED_AT = {"branch": ("C1", "B1"), "paired": ("C1", "P1"), "sibling": ("C2", "B2"), "unrelated": ("C3", "B3"),
              "convener": ("C1", "P2")}


@makes("respondMeeting", "checkInMeeting")
async def _invited(w: World, pos: str, role: str) -> Case:
    extra = {"attending": True} if w.current == "respondMeeting" else {}
    if pos == "missing":
        return Case({"meetingId": missing("Meeting"), "orgId": org_gid(w.o["B1"]), **extra})
    convener, invited = INVITED_AT[pos]
    meeting = await w.meeting(w.o[convener], [w.o[invited]])
    return Case({"meetingId": gid("Meeting", meeting.id), "orgId": org_gid(w.o[invited]), **extra},
                node=gid("Meeting", meeting.id))


RESOLUTION_MEETING_AT = {"community": ("C1", "P1", "C1"), "street": ("S1", "B1", "S1"), "sibling": ("C2", "B2", "C2"),
                         "unrelated": ("C3", "B3", "C3"), "branch": ("C1", "B1", "B1"), "paired": ("C1", "P1", "P1")}


@makes("recordResolution")
async def _record(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"meetingId": missing("Meeting"), "text": "决议", "ownerOrgId": org_gid(w.o["C1"])})
    convener, invited, owner = RESOLUTION_MEETING_AT[pos]
    meeting = await w.meeting(w.o[convener], [w.o[invited]])
    return Case({"meetingId": gid("Meeting", meeting.id), "text": "决议", "ownerOrgId": org_gid(w.o[owner])},
                node=gid("Meeting", meeting.id))


@makes("convertResolutionToProject")
async def _convert(w: World, pos: str, role: str) -> Case:
    extra = {"capacity": 3, "category": "OTHER", "claimantKinds": ["MEMBER"]}
    if pos == "missing":
        return Case({"resolutionId": missing("Resolution"), **extra})
    convener, invited, owner = RESOLUTION_MEETING_AT[pos]
    resolution = await w.resolution(await w.meeting(w.o[convener], [w.o[invited]]), w.o[owner])
    return Case({"resolutionId": gid("Resolution", resolution.id), **extra}, node=gid("Resolution", resolution.id))


@makes("generateDutyRoster")
async def _roster(w: World, pos: str, role: str) -> Case:
    day = w.future_day().isoformat()
    return Case({"centreOrgId": at(w, pos, CONVENER_AT), "from": day, "to": day, "unitsPerDay": 1})


SWAP_AT = {"community": ("C1", "P1", "P1b"), "street": ("S1", None, None), "sibling": ("C2", "U2", None),
           "unrelated": ("C3", "U3", None)}


@makes("swapDuty")
async def _swap(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"shiftId": missing("DutyShift"), "withShiftId": missing("DutyShift")})
    centre, unit, other = SWAP_AT[pos]
    first = await w.shift(w.o[centre], w.o[unit] if unit else await w.unit())
    second = await w.shift(w.o[centre], w.o[other] if other else await w.unit())
    return Case({"shiftId": gid("DutyShift", first.id), "withShiftId": gid("DutyShift", second.id)})


@makes("checkInDuty")
async def _check_in_duty(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"shiftId": missing("DutyShift")})
    centre, unit = {"paired": ("C1", "P1"), "centre": ("C1", "P1b"), "sibling": ("C2", "U2"),
                    "unrelated": ("C3", "P2")}[pos]
    today = duty_model.local_today()
    await DutyShift.filter(unit_id=w.o[unit].id, duty_date=today).delete()  # one shift a unit a day
    shift = await w.shift(w.o[centre], w.o[unit], today)
    return Case({"shiftId": gid("DutyShift", shift.id)})


OFFERING_AT = {"team": "T1", "paired": "P1", "sibling": "T2", "unrelated": "P2"}


@makes("createServiceOffering")
async def _create_offering(w: World, pos: str, role: str) -> Case:
    return Case({"providerOrgId": at(w, pos, OFFERING_AT), "title": "上门维修", "category": "REPAIR",
                 "priceFen": 2000, "unit": "次"})


@makes("approveServiceOffering")
async def _approve_offering(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"offeringId": missing("ServiceOffering")})
    offering = await w.offering(w.o[OFFERING_AT[pos]])
    return Case({"offeringId": gid("ServiceOffering", offering.id)}, node=gid("ServiceOffering", offering.id))


RESIDENT_AT = {"branch": ("K1", RESIDENT), "sibling": ("K2", "sib_resident"), "unrelated": ("K3", "far_resident")}


@makes("placeOrder")
async def _place(w: World, pos: str, role: str) -> Case:
    compound = missing("Compound") if pos == "missing" else gid("Compound", w.k[COMPOUND_AT[pos]].id)
    return Case({"compoundId": compound, "category": "REPAIR", "description": "水管漏水"})


async def _an_order(w: World, pos: str, status: OrderStatus, providers: dict[str, str]) -> Case:
    if pos == "missing":
        return Case({"orderId": missing("Order")})
    compound, resident = {"team": RESIDENT_AT["branch"], "paired": RESIDENT_AT["branch"], **RESIDENT_AT}[pos]
    provider = providers.get(pos)
    order = await w.order(w.k[compound], w.people[resident], status, w.o[provider] if provider else None)
    return Case({"orderId": gid("Order", order.id)}, node=gid("Order", order.id))


@makes("dispatchOrder")
async def _dispatch(w: World, pos: str, role: str) -> Case:
    case = await _an_order(w, pos, OrderStatus.SUBMITTED, {})
    case.input.update(providerOrgId=org_gid(w.o[{"branch": "T1", "sibling": "T2", "unrelated": "T3",
                                                  "missing": "T1"}[pos]]), priceFen=1000)
    return case


SERVED_BY = {"team": "T1", "paired": "P1", "sibling": "T2", "unrelated": "P2"}
PROVIDER_STEP = {"acceptOrder": (OrderStatus.DISPATCHED, {}),
                 "declineOrder": (OrderStatus.DISPATCHED, {"reason": "没空"}),
                 "startOrder": (OrderStatus.ACCEPTED, {}), "completeOrder": (OrderStatus.IN_PROGRESS, {"note": "好了"})}


@makes("acceptOrder", "declineOrder", "startOrder", "completeOrder")
async def _provider_step(w: World, pos: str, role: str) -> Case:
    status, extra = PROVIDER_STEP[w.current]
    case = await _an_order(w, pos, status, SERVED_BY)
    case.input.update(extra)
    return case


@makes("confirmOrder")
async def _confirm(w: World, pos: str, role: str) -> Case:
    case = await _an_order(w, pos, OrderStatus.COMPLETED, {"branch": "T1", "sibling": "T2", "unrelated": "T3"})
    case.input.update(rating=5)
    return case


@makes("cancelOrder")
async def _cancel_order(w: World, pos: str, role: str) -> Case:
    status = OrderStatus.DISPATCHED if pos == "team" else OrderStatus.SUBMITTED
    case = await _an_order(w, pos, status, {"team": "T1"})
    case.input.update(reason="情况有变")
    return case


@makes("submitOpinion")
async def _submit_opinion(w: World, pos: str, role: str) -> Case:
    base, _, channel = pos.partition(":")
    if base == "paired":  # heard by P1's people, recorded for P1 itself
        return Case({"text": "意见", "channel": "HOME_VISIT", "orgId": org_gid(w.o["P1"])})
    compound = missing("Compound") if base == "missing" else gid("Compound", w.k[COMPOUND_AT[base]].id)
    return Case({"text": "意见", "compoundId": compound, "channel": "HOME_VISIT" if channel else "APP"})


OPINION_ASSIGN = {"branch": "B1", "paired": "P1", "sibling": "B2", "unrelated": "B3"}


@makes("assignOpinion", "replyOpinion", "closeOpinion")
async def _handle_opinion(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"opinionId": missing("Opinion"), **_opinion_extra(w, pos)})
    compound, author = {"paired": RESIDENT_AT["branch"], **RESIDENT_AT}[pos]
    opinion = await w.opinion(w.k[compound], w.people[author], assignee=w.o["P1"] if pos == "paired" else None)
    return Case({"opinionId": gid("Opinion", opinion.id), **_opinion_extra(w, pos)}, node=gid("Opinion", opinion.id))


def _opinion_extra(w: World, pos: str) -> dict:
    if w.current == "assignOpinion":
        return {"orgId": org_gid(w.o[OPINION_ASSIGN.get(pos, "B1")])}
    return {"text": "已处理"} if w.current == "replyOpinion" else {}


@makes("createHousehold", "createPoll")
async def _on_compound(w: World, pos: str, role: str) -> Case:
    compound = missing("Compound") if pos == "missing" else gid("Compound", w.k[COMPOUND_AT[pos]].id)
    if w.current == "createHousehold":
        return Case({"compoundId": compound, "unit": f"{w.n()}号楼202室", "areaSqm": 88.5})
    return Case({"compoundId": compound, "title": "测试投票", "options": ["甲", "乙"]})


@makes("addHouseholdMember")
async def _add_resident(w: World, pos: str, role: str) -> Case | None:
    newcomer = await w.person("新住户")
    if pos == "missing":
        return Case({"householdId": missing("Household"), "phone": newcomer.phone})
    if pos == "self":  # a household the actor lives in: residents do not add people to it
        if role == ANON:
            return None
        actor = w.people[role]
        home = await w.household(w.k["K1"], [actor])

        async def move_out() -> None:
            await HouseholdMember.filter(household_id=home.id, user_id=actor.id).delete()
        return Case({"householdId": gid("Household", home.id), "phone": newcomer.phone},
                    node=gid("Household", home.id), cleanup=move_out, shared=False)
    home = await w.household(w.k[COMPOUND_AT[pos]])
    return Case({"householdId": gid("Household", home.id), "phone": newcomer.phone}, node=gid("Household", home.id))


@makes("openPoll", "closePoll", "castVote")
async def _a_poll(w: World, pos: str, role: str) -> Case:
    if pos == "missing":
        return Case({"pollId": missing("Poll"), **({"optionId": missing("PollOption")}
                                                   if w.current == "castVote" else {})})
    status = PollStatus.DRAFT if w.current == "openPoll" else PollStatus.OPEN
    poll = await w.poll(w.k[COMPOUND_AT[pos]], status)
    extra = {"optionId": await w.first_option(poll)} if w.current == "castVote" else {}
    return Case({"pollId": gid("Poll", poll.id), **extra}, node=gid("Poll", poll.id))


LOGIN = """mutation($input: LoginInput!) { login(input: $input) { refreshToken errors { code field } } }"""


@makes("signUp", "login", "refreshToken", "logout")
async def _account(w: World, pos: str, role: str) -> Case | None:
    if role != ANON:
        return None
    if w.current == "signUp":
        return Case({"phone": f"136{w.n():08d}", "password": "a-long-enough-password", "displayName": "新用户"},
                    shared=False)
    if w.current == "login":
        return Case({"phone": "13800000007", "password": "jinlin-demo"}, shared=False)
    body = await w.call(ANON, LOGIN, {"input": {"phone": "13800000007", "password": "jinlin-demo"}})
    return Case({"refreshToken": body["data"]["login"]["refreshToken"]}, shared=False)


# --- running the mutation matrix ------------------------------------------------------------------------------------
NODE_PROBE = "query($id: ID!) { node(id: $id) { id } }"
PUBLIC = {"Org", "Compound", "Alliance", "DutyShift"}  # seen by all (DutyShift: all logged in): no existence to hide


def node_type(global_id: str) -> str:
    decoded = from_global_id(global_id)
    return decoded[0] if decoded else "?"


def document(name: str) -> str:
    selection = "notifications { id } errors { code field message }" if name == "markNotificationsRead" else \
        "errors { code field message }"
    return f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) {{ {selection} }} }}"


def classify(name: str, body: dict, case: Case) -> tuple[str, str]:
    """(ALLOW | DENY | ERROR, what came back)."""
    if body.get("errors"):
        code = body["errors"][0].get("extensions", {}).get("code", "?")
        return ("DENY" if code in ("UNAUTHENTICATED", "FORBIDDEN") else "ERROR"), code
    payload = body["data"][name]
    got = [f"{e['code']}:{'.'.join(e['field'] or [])}" for e in payload["errors"]]
    detail = " ".join(got) or "OK"
    hidden = {f"NOT_FOUND:{f}" for f in TARGETS.get(name, ())} | REFUSALS.get(name, set())
    if any(g in hidden for g in got):
        return "DENY", detail
    if name == "markNotificationsRead":  # others' ids are ignored: allowed = the notification came back marked
        wanted = set(case.input["ids"])
        return ("ALLOW" if wanted <= {n["id"] for n in payload["notifications"]} else "DENY"), detail
    return "ALLOW", detail


@dataclass
class Report:
    """Mismatches with the tables (kind, what, position, role, expected, got), other problems, and case counts."""

    rows: list[tuple[str, str, str, str, str, str]] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    cases: Counter = dataclasses.field(default_factory=Counter)
    by_relation: Counter = dataclasses.field(default_factory=Counter)

    def add(self, kind: str, what: str, pos: str, role: str, want: str, got: str, detail: str) -> None:
        self.cases[what] += 1
        self.by_relation[relation(role, pos)] += 1
        if want != got:
            self.rows.append((kind, what, pos, role, want, f"{got} ({detail})"))

    def table(self) -> str:
        lines = [f"{'':18}{'what':28}{'position':24}{'role':14}{'expected':10}got"]
        for kind, what, pos, role, want, got in sorted(self.rows):
            label = {"ALLOW": "unexpected deny", "DENY": "unexpected allow"}.get(want, kind)
            lines.append(f"{label:18}{what:28}{pos:24}{role:14}{want:10}{got}")
        return "\n".join(lines + self.problems)


async def run_mutation(w: World, name: str, report: Report, only: str | None = None) -> None:
    """Every position (or `only` one) × every role for one mutation: refused roles first on a shared target, then
    each allowed role on a target nobody has changed yet."""
    w.current = name
    for pos, allowed in EXPECT[name].items():
        if (pos != only) if only else (name, pos) in KNOWN_BUGS:
            continue
        shared: Case | None = None
        for role in [r for r in ROLES if r not in allowed] + [r for r in ROLES if r in allowed]:
            case = shared
            if case is None:
                case = await MAKERS[name](w, pos, role)
                if case is None:
                    continue
                shared = case if case.shared else None
            body = await w.call(role, document(name), {"input": case.input})
            got, detail = classify(name, body, case)
            want = "ALLOW" if role in allowed else "DENY"
            try:
                await check_shape(w, report, name, pos, role, case, want, got, detail)
            finally:
                if case.cleanup is not None:
                    await case.cleanup()
            report.add("mutation", name, pos, role, want, got, detail)
            if got != "DENY":
                shared = None  # touched: the next role gets a fresh target


async def check_shape(w: World, report: Report, name: str, pos: str, role: str, case: Case, want: str, got: str,
                      detail: str) -> None:
    """An expected success succeeds outright; a refusal is UNAUTHENTICATED exactly for anonymous callers, NOT_FOUND
    for missing ids, and never FORBIDDEN for an object the caller cannot see (that would tell it exists)."""
    where = f"{name} {pos} {role}"
    if got == "ALLOW" and want == "ALLOW" and detail != "OK":
        report.problems.append(f"case built wrong (allowed, but not done): {where}: {detail}")
    if got == "DENY":
        if role == ANON and detail != "UNAUTHENTICATED":
            report.problems.append(f"anonymous not UNAUTHENTICATED: {where}: {detail}")
        if role != ANON and detail == "UNAUTHENTICATED":
            report.problems.append(f"logged in but UNAUTHENTICATED: {where}")
        if role != ANON and pos.startswith("missing") and not detail.startswith("NOT_FOUND") and \
                name != "markNotificationsRead":  # ids not the viewer's are ignored, missing ones too
            report.problems.append(f"missing id not NOT_FOUND: {where}: {detail}")
        if detail == "FORBIDDEN" and case.node is not None and node_type(case.node) not in PUBLIC:
            probe = await w.call(role, NODE_PROBE, {"id": case.node})
            if probe.get("data", {}).get("node") is None:
                report.problems.append(f"existence leak (FORBIDDEN for an object node() hides, NOT_FOUND "
                                       f"when missing): {where}")


async def run_group(api: Api, group: str) -> tuple[World, Report]:
    w = await build(api)
    report = Report()
    for name in GROUPS[group]:
        await run_mutation(w, name, report)
    return w, report


@pytest.mark.parametrize("group", list(GROUPS))
async def test_mutation_matrix(api: Api, group: str) -> None:
    started = time.perf_counter()
    w, report = await run_group(api, group)
    leaks = await scan_phones(w)
    print(f"\n{group}: {sum(report.cases.values())} cases in {time.perf_counter() - started:.1f} s; by relation: "
          f"{dict(report.by_relation)}")
    assert not report.rows and not report.problems and not leaks, "\n" + report.table() + "\n" + "\n".join(leaks)


@pytest.mark.parametrize("name, position", [
    pytest.param(name, pos, id=f"{name}-{pos}", marks=pytest.mark.xfail(strict=True, reason=reason))
    for (name, pos), reason in KNOWN_BUGS.items()])
async def test_known_authorisation_bug(api: Api, name: str, position: str) -> None:
    w = await build(api)
    report = Report()
    await run_mutation(w, name, report, only=position)
    assert sum(report.cases.values()) and not report.rows and not report.problems, "\n" + report.table()


def test_every_mutation_is_in_the_table() -> None:
    """A new mutation must get its row (and a group) before it ships."""
    from schema.root import Mutation
    import strawberry

    names = {f.graphql_name or strawberry.utils.str_converters.to_camel_case(f.python_name)
             for f in Mutation.__strawberry_definition__.fields}
    assert names == set(EXPECT), (names ^ set(EXPECT))
    assert set(EXPECT) == {n for group in GROUPS.values() for n in group} == set(MAKERS)



# --- node(id): who sees each type at each position (everyone else gets exactly what a missing id gets) ------------
EVERYONE = frozenset(ROLES)
P1_PEOPLE = frozenset({UNIT_A, COMMISSIONER})                   # members of P1 (its ADMIN and its commissioner)
IN_AN_ORG = LOGGED_IN - {RESIDENT}                              # everyone who belongs to some org

NODE_EXPECT: dict[str, dict[str, frozenset[str]]] = {
    # The organisation and compound directory is public; so are alliances (org to org, nothing about people).
    "Org": {"branch": EVERYONE, "paired": EVERYONE, "unrelated": EVERYONE},
    "Compound": {"branch": EVERYONE, "sibling": EVERYONE, "unrelated": EVERYONE},
    "Alliance": {"paired": EVERYONE, "unrelated": EVERYONE},
    # A person: themself, fellow members of an org, and managers of their orgs (or above).
    "User": {"self": LOGGED_IN, "branch": B1_MGR | {MEMBER}, "team": B1_MGR, "community": C1_MGR,
             "sibling": D_MGR, "paired": P1_PEOPLE, "unrelated": NOBODY},
    # Projects: the publisher's managers (or above) see drafts too; once published, members of orgs in the
    # publisher's subtree and of partner units paired with its lineage.
    "Project": {"branch": B1_MGR | {MEMBER} | P1_PEOPLE, "branch:draft": B1_MGR, "team": B1_MGR | P1_PEOPLE,
                "community": B1_MGR | {MEMBER} | P1_PEOPLE, "street": B1_MGR | {MEMBER}, "sibling": D_MGR,
                "unrelated": NOBODY},
    # A claim: its claimant, the claiming org's managers and the publisher's managers (or above).
    "Claim": {"self": LOGGED_IN, "branch": B1_MGR, "team": B1_MGR, "paired": UNIT | C1_MGR, "sibling": D_MGR,
              "unrelated": NOBODY},
    # A registration: the member and the branch's managers (or above).
    "Registration": {"self": frozenset({MEMBER}), "branch": B1_MGR, "sibling": D_MGR, "unrelated": NOBODY},
    # Resources: the owner's managers (or above), and members (or managers) of the orgs that may request them.
    "Resource": {"branch": B1_MGR | {MEMBER}, "community": B1_MGR | {MEMBER},
                 "community:partners": B1_MGR | {MEMBER} | P1_PEOPLE, "paired": P1_PEOPLE,
                 "paired:partners": P1_PEOPLE | B1_MGR | {MEMBER}, "sibling": D_MGR, "sibling:district": IN_AN_ORG,
                 "unrelated": NOBODY},
    # A booking: managers of the owner and of the requesting org.
    "Booking": {"community": B1_MGR, "paired": UNIT | C1_MGR, "sibling": D_MGR, "unrelated": NOBODY},
    # Meetings and their resolutions: the convener's managers (or above), members and managers of invited orgs.
    "Meeting": {"community": C1_MGR | P1_PEOPLE, "street": B1_MGR | {MEMBER}, "sibling": D_MGR,
                "unrelated": NOBODY},
    "Resolution": {"community": C1_MGR | P1_PEOPLE, "street": B1_MGR | {MEMBER}, "sibling": D_MGR,
                   "unrelated": NOBODY},
    # The duty roster is on the centre's wall: every logged-in user.
    "DutyShift": {"paired": LOGGED_IN, "unrelated": LOGGED_IN},
    # The price list: approved offerings for everyone logged in; pending ones for the provider's managers and
    # those who may approve them.
    "ServiceOffering": {"team": LOGGED_IN, "team:pending": B1_MGR, "paired:pending": UNIT | C1_MGR,
                        "sibling:pending": D_MGR, "unrelated:pending": NOBODY},
    # Orders: the resident, managers of the compound's community or branch (or above), the provider's managers.
    "Order": {"branch": B1_MGR | {RESIDENT}, "paired": B1_MGR | {RESIDENT} | UNIT, "sibling": D_MGR,
              "unrelated": NOBODY},
    # Opinions: the author, managers of the owning org, the assignee or the compound's branch (or above).
    "Opinion": {"branch": B1_MGR | {RESIDENT}, "paired": B1_MGR | {RESIDENT} | UNIT, "sibling": D_MGR,
                "unrelated": NOBODY},
    # Households: their residents and the compound's managers.
    "Household": {"branch": B1_MGR | {RESIDENT}, "sibling": D_MGR, "unrelated": NOBODY},
    # Polls: the compound's residents once opened, and the managers of its branch (or above).
    "Poll": {"branch": B1_MGR | K1_RESIDENTS, "branch:draft": B1_MGR, "sibling": D_MGR, "unrelated": NOBODY},
    # Notifications: one's own.
    "Notification": {"self": LOGGED_IN, "other": NOBODY},
}


async def node_target(w: World, type_name: str, pos: str, role: str) -> str | None:
    """Global id of an object of a type at a position (for `self`: the role's own, None when it has none)."""
    o, k, people = w.o, w.k, w.people
    if pos == "self":
        if role == ANON:
            return None
        me = people[role]
        if type_name == "User":
            return gid("User", me.id)
        if type_name == "Claim":
            return gid("Claim", (await w.claim(await w.project(o["B1"]), user=me)).id)
        if type_name == "Notification":
            return gid("Notification", (await w.notification(me)).id)
        if type_name == "Registration":
            mine = await Registration.get_or_none(active_user_id=me.id)
            return gid("Registration", mine.id) if mine else None
    if type_name == "Org":
        return org_gid(o[{"branch": "B1", "paired": "P1", "unrelated": "P2"}[pos]])
    if type_name == "Compound":
        return gid("Compound", k[COMPOUND_AT[pos]].id)
    if type_name == "Alliance":
        return gid("Alliance", (await w.alliance(o[{"paired": "P1", "unrelated": "P2"}[pos]])).id)
    if type_name == "User":
        org = o[{"branch": "B1", "team": "T1", "community": "C1", "sibling": "B2", "paired": "P1"}[pos]] \
            if pos != "unrelated" else None
        return gid("User", (await w.member_of(org) if org else await w.person()).id)
    if type_name == "Project":
        base, _, draft = pos.partition(":")
        return gid("Project", (await w.project(o[PROJECT_AT[base]], ProjectStatus.DRAFT if draft
                                               else ProjectStatus.OPEN)).id)
    if type_name == "Claim":
        return (await _a_claim(w, pos, role, done=False)).input["claimId"]
    if type_name == "Registration":
        return gid("Registration", (await w.registered(o[BRANCH_AT[pos]])).id)
    if type_name == "Resource":
        base, _, scope = pos.partition(":")
        owner = {"branch": "B1", "community": "C1", "paired": "P1", "sibling": "B2", "unrelated": "B3"}[base]
        share = {"": ShareScope.SUBTREE, "partners": ShareScope.PARTNERS, "district": ShareScope.DISTRICT}[scope]
        return gid("Resource", (await w.resource(o[owner], share)).id)
    if type_name == "Booking":
        owner, for_org, scope = BOOKING_AT[pos]
        return gid("Booking", (await w.booking(await w.resource(o[owner], scope), o[for_org])).id)
    if type_name in ("Meeting", "Resolution"):
        convener, invited, owner = RESOLUTION_MEETING_AT[pos]
        meeting = await w.meeting(o[convener], [o[invited]])
        if type_name == "Meeting":
            return gid("Meeting", meeting.id)
        return gid("Resolution", (await w.resolution(meeting, o[owner])).id)
    if type_name == "DutyShift":
        centre, unit = {"paired": ("C1", "P1"), "unrelated": ("C3", "P2")}[pos]
        return gid("DutyShift", (await w.shift(o[centre], o[unit])).id)
    if type_name == "ServiceOffering":
        base, _, pending = pos.partition(":")
        return gid("ServiceOffering", (await w.offering(o[OFFERING_AT[base]], approved=not pending)).id)
    if type_name == "Order":
        return (await _an_order(w, pos, OrderStatus.SUBMITTED, {"paired": "P1"})).input["orderId"]
    if type_name == "Opinion":
        compound, author = {"paired": RESIDENT_AT["branch"], **RESIDENT_AT}[pos]
        return gid("Opinion", (await w.opinion(k[compound], people[author],
                                               assignee=o["P1"] if pos == "paired" else None)).id)
    if type_name == "Household":
        if pos == "branch":  # the resident's own (household 1 of the demo)
            return gid("Household", (await HouseholdMember.get(user_id=people[RESIDENT].id)).household_id)
        return gid("Household", (await w.household(k[COMPOUND_AT[pos]])).id)
    if type_name == "Poll":
        base, _, draft = pos.partition(":")
        return gid("Poll", (await w.poll(k[COMPOUND_AT[base]], PollStatus.DRAFT if draft else PollStatus.OPEN)).id)
    if type_name == "Notification":
        return gid("Notification", (await w.notification(await w.person())).id)
    raise AssertionError((type_name, pos))


async def run_nodes(w: World, report: Report) -> None:
    """node(id) for every type × position × role, and the same id-less answer for hidden and missing objects."""
    answers: dict[str, dict[str, dict | None]] = {}
    for type_name, positions in NODE_EXPECT.items():
        missing_answer: dict[str, str] = {}
        for role in ROLES:
            before = len(w.bodies)
            await w.call(role, NODE_PROBE, {"id": missing(type_name)})
            missing_answer[role] = w.bodies[before][1]
            report.add("node", type_name, "missing", role, "null", "null" if missing_answer[role] == (
                '{"data":{"node":null}}') else "other", missing_answer[role])
        for pos, allowed in positions.items():
            shared: str | None = None
            for role in ROLES:
                target = shared or await node_target(w, type_name, pos, role)
                if target is None:
                    continue
                if pos != "self":
                    shared = target
                before = len(w.bodies)
                body = await w.call(role, NODE_PROBE, {"id": target})
                text = w.bodies[before][1]
                seen = (body.get("data") or {}).get("node")
                got = "visible" if seen and seen.get("id") == target else "null"
                report.add("node", type_name, pos, role, "visible" if role in allowed else "null", got, text[:80])
                answers.setdefault(role, {})[target] = seen
                if got == "null" and text != missing_answer[role]:
                    report.problems.append(f"hidden differs from missing: node {type_name} {pos} {role}: {text} vs "
                                           f"{missing_answer[role]}")
    # nodes(ids:) answers each id as node(id:) does.
    for role, by_id in answers.items():
        ids = list(by_id)
        for start in range(0, len(ids), 100):
            chunk = ids[start:start + 100]
            body = await w.call(role, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": chunk})
            for target, batched in zip(chunk, body["data"]["nodes"]):
                if batched != by_id[target]:
                    report.problems.append(f"nodes() disagrees with node() for {role}: {target}: {batched} vs "
                                           f"{by_id[target]}")


# --- phone numbers: screens that show people, asked by every role, then scanned --------------------------------------
ORG_PEOPLE = """query($id: ID!) {
  m: org(id: $id) { members(first: 100) { nodes { role user { phone } } } }
  c: org(id: $id) { commissioners { user { phone } } }
  r: org(id: $id) { registrations(first: 100) { nodes { user { phone } } } }
  a: org(id: $id) { auditLog(first: 50) { nodes { actor { phone } } } }
}"""
LISTS = """{
  viewer { phone memberships { user { phone } } }
  projects(first: 50) { nodes { claims(first: 50) { nodes { claimant { ... on User { phone } } } } } }
  orders(first: 50) { nodes { resident { phone } events { actor { phone } } } }
  opinions(first: 50) { nodes { author { phone } contactPhone } }
  dutyShifts(first: 50) { nodes { checkedInBy { phone } } }
}"""
BY_ID = """query($ids: [ID!]!) { nodes(ids: $ids) {
  ... on User { phone memberships { user { phone } } }
  ... on Household { residents { phone } }
  ... on Order { resident { phone } events { actor { phone } } }
  ... on Opinion { author { phone } contactPhone }
  ... on Registration { user { phone } }
  ... on Claim { claimant { ... on User { phone } } }
  ... on DutyShift { checkedInBy { phone } }
} }"""


async def ask_for_phones(w: World) -> None:
    """Every screen that shows people, as every role (answers land in `w.bodies`)."""
    from models.household import Household
    from models.opinion import Opinion
    from models.order import Order
    from models.project import Claim
    from models.registration import Registration
    from models.user import User

    # People whose numbers have rules of their own: a resident whose order P1 is serving (then P1 sees the phone)
    # and one whose order P1 served (no longer), an opinion phoned in by an unregistered caller, an anonymous one.
    k1, resident = w.k["K1"], w.people[RESIDENT]
    await w.order(k1, resident, OrderStatus.ACCEPTED, w.o["P1"])
    await w.order(k1, await w.person("住户"), OrderStatus.CONFIRMED, w.o["P1"])
    await w.opinion(k1, None, contact_phone="13700099999")
    await w.opinion(k1, w.people[MEMBER], anonymous=True)
    ids = [gid("User", u.id) for u in await User.all()] + [gid("Household", h.id) for h in await Household.all()] + \
        [gid("Order", x.id) for x in await Order.all()] + [gid("Opinion", x.id) for x in await Opinion.all()] + \
        [gid("Registration", x.id) for x in await Registration.all()] + \
        [gid("Claim", x.id) for x in await Claim.all()] + [gid("DutyShift", x.id) for x in await DutyShift.all()]
    for role in ROLES:
        answers = [await w.call(role, LISTS)]
        for start in range(0, len(ids), 100):
            answers.append(await w.call(role, BY_ID, {"ids": ids[start:start + 100]}))
        if role != ANON:  # the screens really answered (a limit refusing them would silently empty the scan)
            assert all("errors" not in body for body in answers), (role, [b["errors"] for b in answers])
        for key in ("D", "S1", "C1", "B1", "T1", "P1", "B2", "P2"):
            body = await w.call(role, ORG_PEOPLE, {"id": org_gid(w.o[key])})
            assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"FORBIDDEN", "UNAUTHENTICATED"}


async def test_node_matrix_and_phones(api: Api) -> None:
    started = time.perf_counter()
    w = await build(api)
    report = Report()
    await run_nodes(w, report)
    await ask_for_phones(w)
    leaks = await scan_phones(w)
    print(f"\nnode: {sum(report.cases.values())} cases, {len(w.bodies)} bodies scanned in "
          f"{time.perf_counter() - started:.1f} s; by relation: {dict(report.by_relation)}")
    assert not report.rows and not report.problems and not leaks, "\n" + report.table() + "\n" + "\n".join(leaks)
