"""Errors the routing engine raises when a caller asks for something the current state forbids.

They extend the one kefu hierarchy (``kefu.domain.errors``), so the HTTP layer maps them to problem+json
without knowing routing: conflicts become 409, unknown ids 404, bad specs 422. Each class has a stable
``code`` that clients may rely on.

    Conflict (409)
    └── RoutingConflict                 routing_conflict
        ├── OfferExpiredError           offer_expired        the offer timed out before it was accepted
        ├── OfferDeclinedError          offer_declined       the agent (or the engine) declined it already
        ├── OfferAcceptedError          offer_accepted       it was accepted already
        ├── OfferRescindedError         offer_rescinded      the task left or the agent went away meanwhile
        ├── TaskStateError              task_state           e.g. completing a task nobody was assigned
        ├── DuplicateError              routing_duplicate    a task, agent or offer id is already known
        └── NotQueuedError              not_queued           the conversation is not waiting in a queue
    NotFound (404)
    └── UnknownRoutingId                routing_not_found    no such queue, task, agent or offer
    InvalidInput (422)
    └── InvalidRoutingSpec              invalid_routing_spec a queue, task or agent spec makes no sense
"""

from __future__ import annotations

from kefu.domain.errors import Conflict, InvalidInput, NotFound


class RoutingConflict(Conflict):
    """Base of routing state conflicts; the service layer answers them with 409."""

    code = "routing_conflict"
    title = "Routing state conflict"


class OfferExpiredError(RoutingConflict):
    code = "offer_expired"
    title = "Offer expired"


class OfferDeclinedError(RoutingConflict):
    code = "offer_declined"
    title = "Offer already declined"


class OfferAcceptedError(RoutingConflict):
    code = "offer_accepted"
    title = "Offer already accepted"


class OfferRescindedError(RoutingConflict):
    code = "offer_rescinded"
    title = "Offer withdrawn"


class TaskStateError(RoutingConflict):
    code = "task_state"
    title = "Task is not in a state that allows this"


class DuplicateError(RoutingConflict):
    code = "routing_duplicate"
    title = "Already known to the routing engine"


class UnknownRoutingId(NotFound):
    code = "routing_not_found"
    title = "Unknown to the routing engine"


class InvalidRoutingSpec(InvalidInput):
    code = "invalid_routing_spec"
    title = "Invalid routing specification"


class NotQueuedError(RoutingConflict):
    code = "not_queued"
    title = "Not waiting in a queue"
