"""Errors as data (`UserError` with an `ErrorCode`) and the few top-level codes, with zh-CN/English messages."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLError


@strawberry.enum(description="Why a mutation did not do what was asked.")
class ErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    INVALID_STATE = "INVALID_STATE"
    INVALID_PARENT = "INVALID_PARENT"
    CAPACITY_FULL = "CAPACITY_FULL"
    ALREADY_CLAIMED = "ALREADY_CLAIMED"
    CONFLICT = "CONFLICT"
    WRONG_CREDENTIALS = "WRONG_CREDENTIALS"
    RATE_LIMITED = "RATE_LIMITED"


@strawberry.type(description="A problem with a mutation's input; `field` is the path into `input`.")
class UserError:
    field: list[str] | None
    code: ErrorCode
    message: str


# key -> (zh-CN, English); `{...}` placeholders are filled from keyword arguments.
MESSAGES: dict[str, tuple[str, str]] = {
    "unauthenticated": ("请先登录", "You need to log in"),
    "token_invalid": ("登录凭证无效或已过期，请重新登录", "The access token is invalid or expired; log in again"),
    "refresh_invalid": ("刷新凭证无效或已失效，请重新登录", "The refresh token is invalid or spent; log in again"),
    "forbidden": ("无权进行此操作", "You are not allowed to do this"),
    "internal": ("服务器内部错误，请稍后再试", "Internal server error, please try again later"),
    "required": ("不能为空", "Must not be null"),
    "length": ("长度须为 {min}–{max} 个字符", "Must be {min} to {max} characters long"),
    "range": ("须在 {min} 到 {max} 之间", "Must be between {min} and {max}"),
    "phone": ("请输入 11 位中国大陆手机号", "Enter an 11-digit mainland China mobile number"),
    "password": ("密码长度须为 8–128 个字符", "The password must be 8 to 128 characters long"),
    "phone_taken": ("该手机号已注册", "This phone number is already registered"),
    "wrong_credentials": ("手机号或密码错误", "Wrong phone number or password"),
    "login_throttled": (
        "密码错误次数过多，请 {minutes} 分钟后再试",
        "Too many wrong passwords; try again in {minutes} minutes",
    ),
    "rate_limited": ("请求过于频繁，请 {seconds} 秒后再试", "Too many requests; try again in {seconds} s"),
    "attempts_limited": ("尝试次数过多，请 {seconds} 秒后再试", "Too many attempts; try again in {seconds} s"),
    "subscription_needs_websocket": ("订阅请通过 WebSocket（graphql-transport-ws 协议）连接 /graphql",
                                     "Subscriptions run over a websocket to /graphql (graphql-transport-ws)"),
    "operation_needs_http": ("WebSocket 只承载订阅；查询和变更请通过 HTTP 发送到 /graphql",
                             "The websocket carries subscriptions only; send queries and mutations over HTTP to "
                             "/graphql"),
    "verify_own_claim": ("不能核实自己的认领，请由本组织其他管理员核实",
                         "You cannot verify your own claim; another manager of the organisation must"),
    "not_found": ("找不到该对象", "No such object"),
    "invalid_parent": ("{kind} 不能放在 {parent} 之下", "A {kind} cannot be placed under a {parent}"),
    "parent_required": ("{kind} 必须有上级组织", "A {kind} needs a parent organisation"),
    "parent_forbidden": ("{kind} 不能有上级组织", "A {kind} has no parent organisation"),
    "must_be_community": ("须为社区大党委", "Must be a community party committee"),
    "branch_not_in_community": ("该小区党支部不属于此社区", "This compound branch does not belong to the community"),
    "must_be_partner": ("须为结对共建单位", "Must be a partner unit"),
    "must_be_street_or_community": ("须为街道大工委或社区大党委", "Must be a street or community committee"),
    "already_paired": ("已经结对", "Already paired"),
    "not_paired": ("尚未结对", "Not paired"),
    "not_member": ("该用户不是此组织成员", "This user is not a member of the organisation"),
    "last_admin": ("不能移除最后一位管理员", "The last administrator cannot be removed"),
    "admin_only": ("只有管理员可以任免管理员", "Only an administrator can appoint or remove administrators"),
    "first_range": ("first 须在 0 到 {max} 之间", "`first` must be between 0 and {max}"),
    "too_many_ids": ("一次最多查询 {max} 个 ID", "At most {max} ids at once"),
    "must_be_branch": ("须为小区党支部", "Must be a compound branch"),
    "registration_ended": ("该登记已结束", "This registration has already ended"),
    "busy": ("操作冲突，请重试", "Conflicting change, please try again"),
    "must_publish_from": ("发布组织须为街道、社区、小区党支部或志愿服务队",
                          "Projects are published by a street, community, compound branch or volunteer team"),
    "ends_before_start": ("结束时间须晚于开始时间", "Must be after the start"),
    "compound_outside": ("该小区不在发布组织的辖区内", "This compound is outside the publisher's area"),
    "kinds_required": ("至少选择一种认领方式", "Choose at least one kind of claimant"),
    "transition": ("项目当前状态为 {status}，不能{action}", "The project is {status}; it cannot be {action}"),
    "not_open": ("项目未开放认领", "The project is not open for claims"),
    "full": ("名额已满", "No places left"),
    "already_claimed": ("已认领该项目", "Already claimed"),
    "member_claims_closed": ("该项目不接受个人认领", "This project takes no claims by members"),
    "org_claims_closed": ("该项目不接受单位认领", "This project takes no claims by organisations"),
    "not_eligible_member": ("您不是该项目所在区域的成员", "You are not a member in this project's area"),
    "not_eligible_org": ("该组织不能认领此项目", "This organisation may not claim this project"),
    "must_be_claimant_org": ("须为共建单位或志愿服务队", "Must be a partner unit or a volunteer team"),
    "claim_state": ("认领当前状态为 {status}，不能{action}", "The claim is {status}; it cannot be {action}"),
    "hours": ("时长须在 {min} 到 {max} 小时之间", "Hours must be between {min} and {max}"),
    "booking_too_long": ("预约时长不能超过 {days} 天", "A booking may last at most {days} days"),
    "in_the_past": ("不能预约过去的时间", "Cannot book a time in the past"),
    "not_shared": ("该资源未向此组织开放", "This resource is not shared with this organisation"),
    "retired": ("该资源已停止共享", "This resource is no longer offered"),
    "overbooked": ("该时段数量不足，批准后将超出可用数量", "Approving would exceed the quantity available at that time"),
    "booking_state": ("预约当前状态为 {status}，不能{action}", "The booking is {status}; it cannot be {action}"),
    "quantity_in_use": ("已批准的预约同时占用 {peak}，数量不能低于此数",
                        "Approved bookings use {peak} at once; the quantity cannot go below that"),
    "range_too_long": ("查询区间不能超过 {days} 天", "The range may span at most {days} days"),
    "already_member": ("该组织已在联盟中或已受邀", "This organisation is already a member or invited"),
    "not_invited": ("该组织未受邀", "This organisation has not been invited"),
    "not_active_member": ("该组织不是联盟成员", "This organisation is not a member of the alliance"),
    "lead_cannot_leave": ("盟主不能退出联盟", "The lead cannot leave its alliance"),
    "convener_kind": ("联席会议须由街道或社区召集", "A joint meeting is convened by a street or community"),
    "too_many_invitees": ("最多邀请 {max} 个组织", "At most {max} organisations can be invited"),
    "invitees_required": ("至少邀请一个组织", "Invite at least one organisation"),
    "already_checked_in": ("已签到", "Already checked in"),
    "owner_not_in_meeting": ("责任组织须为召集方或受邀组织", "The owner must be the convener or an invited organisation"),
    "already_converted": ("该决议已转为项目", "This resolution has already become a project"),
    "roster_centre_kind": ("轮值驻点须设在街道或社区", "A duty roster belongs to a street or community"),
    "date_in_past": ("不能早于今天", "Cannot be before today"),
    "date_order": ("结束日期不能早于开始日期", "Must not be before the first day"),
    "period_too_long": ("排班周期不能超过 {days} 天", "A roster may span at most {days} days"),
    "no_duty_units": ("该组织及其下级没有结对共建单位，无法排班",
                      "No partner units are paired with this organisation or below it"),
    "not_enough_units": ("结对共建单位只有 {count} 个，每天最多排 {count} 个",
                         "Partner units paired: {count}; at most that many a day"),
    "roster_conflict": ("排班期间有其他改动，请重试", "The roster changed meanwhile, please try again"),
    "same_shift": ("不能与同一班次互换", "Cannot swap a shift with itself"),
    "different_centre": ("只能与同一服务中心的班次互换", "Shifts can be swapped only within one centre"),
    "same_day": ("同一天的班次无需互换", "Both shifts are on the same day"),
    "same_unit": ("两个班次属于同一单位", "Both shifts belong to the same unit"),
    "shift_served": ("该班次已签到，不能互换", "This shift has been served and cannot be swapped"),
    "shift_past": ("不能互换已过去的班次", "Past shifts cannot be swapped"),
    "swap_changed": ("班次已被调整，请刷新后重试", "The shifts changed meanwhile; reload and try again"),
    "unit_busy": ("该单位当天已在其他服务中心值班", "The unit is already on duty elsewhere that day"),
    "not_duty_day": ("只能在值班当天签到（{date}）", "Check-in is only possible on the duty day ({date})"),
    "commissioner_unit_only": ("近邻服务专员只能派驻到共建单位", "Service commissioners are assigned to partner units"),
    "has_other_role": ("该用户已是此组织成员（{role}）", "This person already belongs to the organisation ({role})"),
    "provider_kind": ("服务方须为共建单位或服务队", "The provider must be a partner unit or a service team"),
    "already_approved": ("该服务已审核通过", "This offering has already been approved"),
    "not_resident": ("您不是该小区的住户", "You do not live in this compound"),
    "offering_not_approved": ("该服务尚未审核通过", "This offering has not been approved yet"),
    "category_mismatch": ("类别与所选服务不一致", "The category differs from the chosen offering's"),
    "order_state": ("订单当前状态为 {status}，不能进行此操作", "The order is {status}; this step is not possible"),
    "staff_channel_required": ("代居民登记须选择入户走访、会议或热线渠道",
                               "Recording for a resident needs a home-visit, meeting or hotline channel"),
    "compound_required": ("请选择小区", "Choose a compound"),
    "opinion_closed": ("该意见已办结", "This opinion has been closed"),
    "area_range": ("面积须大于 0 且不超过 {max} 平方米", "The area must be above 0 and at most {max} m²"),
    "household_exists": ("该小区已有此门牌的住户", "The compound already has a household with this unit"),
    "already_resident": ("该居民已在此户", "This person already lives in the household"),
    "option_count": ("选项须为 2 到 {max} 个", "Give 2 to {max} options"),
    "option_repeated": ("选项不能重复", "Options must differ"),
    "poll_state": ("投票当前状态为 {status}，不能进行此操作", "The poll is {status}; this step is not possible"),
    "household_required": ("您在该小区有多户住房，请选择代表哪一户投票",
                           "You live in several households here; choose the one you vote for"),
    "already_voted": ("您家已投过票", "Your household has already voted"),
    "poll_not_open": ("投票未开放或已结束", "The poll is not open"),
    "idempotency_key_invalid": ("Idempotency-Key 须为 1–{max} 个可打印字符",
                                "Idempotency-Key must be 1 to {max} printable characters"),
    "idempotency_key_reused": ("该 Idempotency-Key 已用于另一个请求", "This Idempotency-Key was used for another request"),
    "idempotency_key_pending": ("相同的请求仍在处理中，请稍后重试", "The same request is still being processed; retry shortly"),
    "photo_count": ("最多上传 {max} 张照片", "At most {max} photos"),
    "photo_not_file": ("须为上传的文件（multipart 请求）", "Must be an uploaded file (a multipart request)"),
    "photo_too_large": ("每张照片不能超过 {mb} MB", "Each photo may be at most {mb} MB"),
    "photo_type": ("照片须为 JPEG、PNG 或 WebP 图片", "A photo must be a JPEG, PNG or WebP image"),
    "photo_link_invalid": ("照片链接无效", "The photo link is not valid"),
    "photo_link_expired": ("照片链接已过期，请刷新后重试", "The photo link has expired; reload to get a new one"),
    "upload_needs_authorization": ("上传文件须带 Authorization: Bearer 请求头（防止跨站请求伪造）",
                                   "Uploads need an Authorization: Bearer header (cross-site request forgery "
                                   "protection)"),
    "body_too_large": ("请求体过大（上限 {max}）", "The request body is too large (at most {max})"),
    "query_too_complex": ("查询过于复杂：预计返回 {cost} 个对象，上限 {max} 个；请减小 first 或分页查询",
                          "The query is too complex: about {cost} objects, at most {max}; ask for smaller pages"),
    "too_many_directives": ("同一位置的指令过多（{count} 个，上限 {max} 个）",
                            "Too many directives at one place ({count}; at most {max})"),
    "too_many_repeats": ("查询中重复的字段过多（{count} 个，上限 {max} 个）",
                         "Too many repeated fields in the query ({count}; at most {max})"),
    "too_many_fields": ("查询的字段过多（{count} 个，片段按每处引用计算；上限 {max} 个）",
                        "Too many fields in the query ({count}, a fragment's wherever it is spread; at most {max})"),
    "timeout": ("请求处理超时（{seconds} 秒），请稍后再试", "The request took longer than {seconds} s; try again later"),
    "request_timeout": ("请求体发送超时（{seconds} 秒）", "The request body did not arrive within {seconds} s"),
    "bad_cursor": ("分页游标无效", "Invalid pagination cursor"),
    "bad_id": ("ID 无效", "Invalid ID"),
}


def message(lang: str, key: str, **params: Any) -> str:
    """The message for `key` in the request's language (zh-CN unless it asked for English)."""
    zh, en = MESSAGES[key]
    return (en if lang == "en" else zh).format(**params)


def user_error(lang: str, code: ErrorCode, field: list[str] | None, key: str, **params: Any) -> UserError:
    """Build one payload error."""
    return UserError(field=field, code=code, message=message(lang, key, **params))


class ApiError(GraphQLError):
    """A deliberate top-level error: kept readable by the masking extension, with `extensions.code`."""

    def __init__(self, code: str, msg: str, **extensions: Any) -> None:
        super().__init__(msg, extensions={"code": code, **extensions})


def unauthenticated(lang: str) -> ApiError:
    """Login is required for this field."""
    return ApiError("UNAUTHENTICATED", message(lang, "unauthenticated"))


def forbidden(lang: str) -> ApiError:
    """Logged in, but not allowed."""
    return ApiError("FORBIDDEN", message(lang, "forbidden"))


def invalid_argument(lang: str, argument: str, key: str, **params: Any) -> ApiError:
    """A query argument (not a mutation input) is out of range."""
    return ApiError("INVALID", message(lang, key, **params), field=[argument])
