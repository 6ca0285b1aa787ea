"""Tortoise models, one module per domain noun; MODEL_MODULES is what the ORM and migrations load."""

MODEL_MODULES: list[str] = [
    "models.org",
    "models.compound",
    "models.user",
    "models.registration",
    "models.project",
    "models.notification",
    "models.audit",
    "models.resource",
    "models.alliance",
    "models.meeting",
    "models.duty",
    "models.household",
    "models.order",
    "models.opinion",
    "models.photo",
    "models.poll",
    "models.persisted_query",
    "models.idempotency",
]
