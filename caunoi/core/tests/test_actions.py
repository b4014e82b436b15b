"""``guarded_action``: a page's action runs its service and goes back to the object's page,
with the step's message, or with the service's refusal as a message — never a 500."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation

from caunoi.core.actions import guarded_action


@dataclass
class Thing:
    public_id: str

    def get_absolute_url(self) -> str:
        return f"/things/{self.public_id}/"


def load(user: Any, public_id: str) -> Thing:
    if public_id == "hidden":
        raise Http404
    return Thing(public_id)


def post() -> Any:
    request = RequestFactory().post("/things/x/do/")
    request.user = AnonymousUser()
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


def said(request: Any) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in request._messages]


def test_the_step_s_answer_is_shown_and_the_page_comes_back():
    seen = []

    @guarded_action(load)
    def step(request, thing, **kwargs):
        seen.append((thing.public_id, kwargs))
        return "Done."

    request = post()
    response = step(request, public_id="a1", how="fast")
    assert (response.status_code, response["Location"]) == (302, "/things/a1/")
    assert seen == [("a1", {"how": "fast"})]
    assert said(request) == [(constants.SUCCESS, "Done.")]


def test_a_step_that_answers_nothing_shows_nothing():
    request = post()
    response = guarded_action(load)(lambda request, thing: None)(request, "a1")
    assert response.status_code == 302
    assert said(request) == []


@pytest.mark.parametrize(
    ("refusal", "message"),
    [
        (
            PermissionDenied("Only the hub's coordinators do this."),
            "Only the hub's coordinators do this.",
        ),
        (PermissionDenied(), "You cannot do this."),
        (
            ValidationError({"reason": ["Say why."], "when": ["Not in the future."]}),
            "Say why. Not in the future.",
        ),
        (ValidationError("Choose a colleague."), "Choose a colleague."),
    ],
)
def test_a_refusal_becomes_an_error_message_not_a_500(refusal, message):
    def refuse(request, thing):
        raise refusal

    request = post()
    with translation.override("en"):
        response = guarded_action(load)(refuse)(request, "a1")
    assert (response.status_code, response["Location"]) == (302, "/things/a1/")
    assert said(request) == [(constants.ERROR, message)]


def test_an_object_not_yours_is_404_and_the_step_does_not_run():
    ran = []
    view = guarded_action(load)(lambda request, thing: ran.append(thing))
    with pytest.raises(Http404):
        view(post(), "hidden")
    assert ran == []


def test_anything_else_is_not_hidden():
    def crash(request, thing):
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        guarded_action(load)(crash)(post(), "a1")
