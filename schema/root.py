"""Query and Mutation: the contract's operations wired to their resolvers, and the schema factory."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext
from strawberry.schema.config import StrawberryConfig

from jinlin.settings import Settings
from resolvers import alliance as alliance_r
from resolvers import auth as auth_r
from resolvers import compound as compound_r
from resolvers import duty as duty_r
from resolvers import household as household_r
from resolvers import opinion as opinion_r
from resolvers import order as order_r
from resolvers import poll as poll_r
from resolvers import meeting as meeting_r
from resolvers import node as node_r
from resolvers import notification as notification_r
from resolvers import org as org_r
from resolvers import project as project_r
from resolvers import registration as registration_r
from resolvers import resource as resource_r
from resolvers import user as user_r
from schema import extensions
from schema.alliance import Alliance, AlliancePayload
from schema.auth import AuthPayload, LogoutPayload
from schema.compound import Compound, CompoundPayload
from schema.duty import DutyRosterPayload, DutyShift, DutyShiftPayload, SwapDutyPayload
from schema.household import Household, HouseholdPayload
from schema.opinion import Opinion, OpinionPayload
from schema.order import Order, OrderPayload, ServiceOffering, ServiceOfferingPayload
from schema.poll import Poll, PollPayload
from schema.extensions import Audited
from schema.meeting import Meeting, MeetingPayload, Resolution, ResolutionPayload
from schema.notification import MarkNotificationsReadPayload, Notification
from schema.org import Org, OrgPayload, PairPartnerPayload
from schema.project import Claim, ClaimPayload, Project, ProjectPayload
from schema.registration import Registration, RegistrationPayload
from schema.resource import Booking, BookingPayload, Resource, ResourcePayload
from schema.relay import Connection, Node
from schema.user import MembershipPayload, User


@strawberry.type
class Query:
    node: Node | None = strawberry.field(resolver=node_r.node)
    nodes: list[Node | None] = strawberry.field(resolver=node_r.nodes)
    viewer: User | None = strawberry.field(resolver=user_r.viewer)
    org: Org | None = strawberry.field(resolver=org_r.org)
    orgs: Connection[Org] = strawberry.field(resolver=org_r.orgs)
    compound: Compound | None = strawberry.field(resolver=compound_r.compound)
    compounds: Connection[Compound] = strawberry.field(resolver=compound_r.compounds)
    projects: Connection[Project] = strawberry.field(resolver=project_r.projects)
    resources: Connection[Resource] = strawberry.field(resolver=resource_r.resources)
    alliances: Connection[Alliance] = strawberry.field(resolver=alliance_r.alliances)
    meetings: Connection[Meeting] = strawberry.field(resolver=meeting_r.meetings)
    duty_shifts: Connection[DutyShift] = strawberry.field(resolver=duty_r.duty_shifts)
    service_offerings: Connection[ServiceOffering] = strawberry.field(resolver=order_r.service_offerings)
    orders: Connection[Order] = strawberry.field(resolver=order_r.orders)
    opinions: Connection[Opinion] = strawberry.field(resolver=opinion_r.opinions)
    polls: Connection[Poll] = strawberry.field(resolver=poll_r.polls)


@strawberry.type(description="Live updates over graphql-transport-ws (the access token goes in connection_init's "
                               "payload as {\"Authorization\": \"Bearer <accessToken>\"}). Each event is the object "
                               "as the subscriber may see it at that moment.")
class Subscription:
    order_updated: Order = strawberry.subscription(
        resolver=order_r.order_updated, description="An order each time its status changes. NOT_FOUND for an order "
                                                    "the viewer may not see.")
    claim_updated: Claim = strawberry.subscription(
        resolver=project_r.claim_updated, description="Claims on a project as they are made or change status: all of "
                                                      "them for the publisher's managers, otherwise the viewer's own.")
    notification_added: Notification = strawberry.subscription(
        resolver=notification_r.notification_added, description="The viewer's new notifications.")


def mutation(resolver: Any) -> Any:
    """Every mutation is audited (one append-only row per call)."""
    return strawberry.mutation(resolver=resolver, extensions=[Audited()])


@strawberry.type
class Mutation:
    sign_up: AuthPayload = mutation(auth_r.sign_up)
    login: AuthPayload = mutation(auth_r.login)
    refresh_token: AuthPayload = mutation(auth_r.refresh_token)
    logout: LogoutPayload = mutation(auth_r.logout)
    create_org: OrgPayload = mutation(org_r.create_org)
    update_org: OrgPayload = mutation(org_r.update_org)
    create_compound: CompoundPayload = mutation(compound_r.create_compound)
    update_compound: CompoundPayload = mutation(compound_r.update_compound)
    pair_partner: PairPartnerPayload = mutation(org_r.pair_partner)
    unpair_partner: PairPartnerPayload = mutation(org_r.unpair_partner)
    add_member: MembershipPayload = mutation(user_r.add_member)
    remove_member: MembershipPayload = mutation(user_r.remove_member)
    register_at_branch: RegistrationPayload = mutation(registration_r.register_at_branch)
    end_registration: RegistrationPayload = mutation(registration_r.end_registration)
    create_project: ProjectPayload = mutation(project_r.create_project)
    publish_project: ProjectPayload = mutation(project_r.publish_project)
    close_project: ProjectPayload = mutation(project_r.close_project)
    complete_project: ProjectPayload = mutation(project_r.complete_project)
    cancel_project: ProjectPayload = mutation(project_r.cancel_project)
    claim_project: ClaimPayload = mutation(project_r.claim_project)
    withdraw_claim: ClaimPayload = mutation(project_r.withdraw_claim)
    report_claim_done: ClaimPayload = mutation(project_r.report_claim_done)
    verify_claim: ClaimPayload = mutation(project_r.verify_claim)
    mark_notifications_read: MarkNotificationsReadPayload = mutation(notification_r.mark_notifications_read)
    create_resource: ResourcePayload = mutation(resource_r.create_resource)
    update_resource: ResourcePayload = mutation(resource_r.update_resource)
    retire_resource: ResourcePayload = mutation(resource_r.retire_resource)
    request_booking: BookingPayload = mutation(resource_r.request_booking)
    approve_booking: BookingPayload = mutation(resource_r.approve_booking)
    reject_booking: BookingPayload = mutation(resource_r.reject_booking)
    cancel_booking: BookingPayload = mutation(resource_r.cancel_booking)
    create_alliance: AlliancePayload = mutation(alliance_r.create_alliance)
    invite_to_alliance: AlliancePayload = mutation(alliance_r.invite_to_alliance)
    respond_alliance_invite: AlliancePayload = mutation(alliance_r.respond_alliance_invite)
    leave_alliance: AlliancePayload = mutation(alliance_r.leave_alliance)
    schedule_meeting: MeetingPayload = mutation(meeting_r.schedule_meeting)
    respond_meeting: MeetingPayload = mutation(meeting_r.respond_meeting)
    check_in_meeting: MeetingPayload = mutation(meeting_r.check_in_meeting)
    record_resolution: ResolutionPayload = mutation(meeting_r.record_resolution)
    convert_resolution_to_project: ProjectPayload = mutation(meeting_r.convert_resolution_to_project)
    generate_duty_roster: DutyRosterPayload = mutation(duty_r.generate_duty_roster)
    swap_duty: SwapDutyPayload = mutation(duty_r.swap_duty)
    check_in_duty: DutyShiftPayload = mutation(duty_r.check_in_duty)
    create_service_offering: ServiceOfferingPayload = mutation(order_r.create_service_offering)
    approve_service_offering: ServiceOfferingPayload = mutation(order_r.approve_service_offering)
    place_order: OrderPayload = mutation(order_r.place_order)
    dispatch_order: OrderPayload = mutation(order_r.dispatch_order)
    accept_order: OrderPayload = mutation(order_r.accept_order)
    decline_order: OrderPayload = mutation(order_r.decline_order)
    start_order: OrderPayload = mutation(order_r.start_order)
    complete_order: OrderPayload = mutation(order_r.complete_order)
    confirm_order: OrderPayload = mutation(order_r.confirm_order)
    cancel_order: OrderPayload = mutation(order_r.cancel_order)
    submit_opinion: OpinionPayload = mutation(opinion_r.submit_opinion)
    assign_opinion: OpinionPayload = mutation(opinion_r.assign_opinion)
    reply_opinion: OpinionPayload = mutation(opinion_r.reply_opinion)
    close_opinion: OpinionPayload = mutation(opinion_r.close_opinion)
    create_household: HouseholdPayload = mutation(household_r.create_household)
    add_household_member: HouseholdPayload = mutation(household_r.add_household_member)
    create_poll: PollPayload = mutation(poll_r.create_poll)
    open_poll: PollPayload = mutation(poll_r.open_poll)
    close_poll: PollPayload = mutation(poll_r.close_poll)
    cast_vote: PollPayload = mutation(poll_r.cast_vote)


from schema.execution import PlainFieldExecution  # noqa: E402 (after the types: it needs none of them)


class Schema(strawberry.Schema):
    """strawberry's schema, quiet about errors meant for the client (faults are logged when masked)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        return None


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema for a deployment: the same types everywhere, limits and suggestions by environment."""
    settings = settings or Settings()
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Org, Compound, User, Registration, Project, Claim, Notification, Resource, Booking, Alliance, Meeting,
               Resolution, DutyShift, ServiceOffering, Order, Opinion, Household, Poll],
        extensions=extensions.build(settings),
        config=StrawberryConfig(disable_field_suggestions=settings.production),
        execution_context_class=PlainFieldExecution,
    )
