"""Personal API tokens: created on the profile page or with `caunoi token`, shown once, stored
as a SHA-256, revoked by their owner, and audited."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from caunoi.accounts.models import ApiToken
from caunoi.accounts.services import api_token_create
from caunoi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'<code class="token" id="new-token">([^<]+)</code>')
TOKEN_SHAPE = re.compile(r"^cn_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")


def vi(message: str) -> str:
    with translation.override("vi"):
        return gettext(message)


def api(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def create_on_profile(client: Client, name: str = "DHIS2 sync") -> tuple[str, str]:
    response = client.post("/accounts/profile/", {"name": name})
    assert response.status_code == 200
    page = response.content.decode()
    found = TOKEN.findall(page)
    assert len(found) == 1
    return found[0], page


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- the profile page --------------------------------------------------------------------------


def test_profile_page_creates_a_token_shown_once(login, worker):
    client = login(worker)

    token, page = create_on_profile(client)

    assert TOKEN_SHAPE.match(token)
    assert vi("Token created. Copy it now: it will not be shown again.") in page
    row = ApiToken.objects.get(user=worker)
    assert row.name == "DHIS2 sync"
    assert row.prefix == token.split("_")[1]
    assert row.revoked_at is None
    again = client.get("/accounts/profile/").content.decode()
    assert token not in again
    assert f"cn_{row.prefix}" in again
    assert "DHIS2 sync" in again


def test_only_the_sha256_of_the_token_is_stored(login, worker):
    token, _page = create_on_profile(login(worker))

    row = ApiToken.objects.get(user=worker)
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    secret = token.split("_", 2)[2]
    stored = json.dumps(list(ApiToken.objects.filter(user=worker).values()), default=str)
    assert token not in stored
    assert secret not in stored
    trail = json.dumps(
        list(AuditEvent.objects.filter(object_type="accounts.apitoken").values()), default=str
    )
    assert secret not in trail


def test_token_name_is_required(login, worker):
    response = login(worker).post("/accounts/profile/", {"name": "   "})

    assert response.status_code == 200
    assert not TOKEN.search(response.content.decode())
    assert not ApiToken.objects.filter(user=worker).exists()


def test_profile_token_authenticates_the_api_as_its_owner(login, worker):
    token, _page = create_on_profile(login(worker))

    response = api(token).get("/api/specialties", {"limit": 1})

    assert response.status_code == 200
    assert response.json()["count"] == 18
    row = ApiToken.objects.get(user=worker)
    assert row.last_used_at is not None


def test_owner_revokes_her_token_with_post(login, worker):
    client = login(worker)
    token, _page = create_on_profile(client)
    row = ApiToken.objects.get(user=worker)

    response = client.post(f"/accounts/tokens/{row.public_id}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert api(token).get("/api/specialties").status_code == 401
    event = AuditEvent.objects.get(action="token_revoke", object_id=row.public_id)
    assert event.actor == worker
    assert event.object_type == "accounts.apitoken"


def test_revoking_twice_changes_nothing_the_second_time(login, worker):
    client = login(worker)
    create_on_profile(client)
    row = ApiToken.objects.get(user=worker)
    client.post(f"/accounts/tokens/{row.public_id}/revoke/")
    row.refresh_from_db()
    first_revocation = row.revoked_at

    response = client.post(f"/accounts/tokens/{row.public_id}/revoke/", follow=True)

    row.refresh_from_db()
    assert row.revoked_at == first_revocation
    assert AuditEvent.objects.filter(action="token_revoke", object_id=row.public_id).count() == 1
    assert vi("That token was already revoked.") in response.content.decode()


def test_another_users_token_is_404_and_stays_active(login, worker, specialist):
    row, token = api_token_create(user=specialist, name="specialist script", actor=specialist)

    response = login(worker).post(f"/accounts/tokens/{row.public_id}/revoke/")

    assert response.status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None
    assert api(token).get("/api/specialties").status_code == 200
    assert not AuditEvent.objects.filter(action="token_revoke", object_id=row.public_id).exists()


def test_revoke_refuses_get(login, worker):
    client = login(worker)
    create_on_profile(client)
    row = ApiToken.objects.get(user=worker)

    response = client.get(f"/accounts/tokens/{row.public_id}/revoke/")

    assert response.status_code == 405
    row.refresh_from_db()
    assert row.revoked_at is None


def test_anonymous_revoke_is_sent_to_login_and_changes_nothing(worker):
    row, _token = api_token_create(user=worker, name="script", actor=worker)

    response = Client().post(f"/accounts/tokens/{row.public_id}/revoke/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    row.refresh_from_db()
    assert row.revoked_at is None


def test_profile_lists_only_the_users_own_tokens(login, worker, specialist):
    api_token_create(user=specialist, name="someone else's script", actor=specialist)
    api_token_create(user=worker, name="my script", actor=worker)

    page = login(worker).get("/accounts/profile/").content.decode()

    assert "my script" in page
    assert "someone else" not in page


# --- audit -------------------------------------------------------------------------------------


def test_token_creation_and_revocation_are_audited(login, worker):
    client = login(worker)
    create_on_profile(client, "audited script")
    row = ApiToken.objects.get(user=worker)
    client.post(f"/accounts/tokens/{row.public_id}/revoke/")

    events = list(
        AuditEvent.objects.filter(object_type="accounts.apitoken", object_id=row.public_id)
        .order_by("id")
        .values_list("action", "actor", "detail")
    )

    assert events == [
        ("token_create", worker.pk, {"user": "worker"}),
        ("token_revoke", worker.pk, {}),
    ]


# --- the `caunoi token` command ----------------------------------------------------------------


def test_token_create_command_prints_a_working_token(worker):
    out, err = run("create", "worker", "--name", "nightly export")

    token = out.strip()
    assert TOKEN_SHAPE.match(token)
    assert "\n" not in token
    assert token not in err
    row = ApiToken.objects.get(user=worker)
    assert row.name == "nightly export"
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    response = api(token).get("/api/specialties")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="token_create", object_id=row.public_id)
    assert event.actor is None
    assert event.detail == {"user": "worker"}


def test_token_create_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="nobody"):
        run("create", "nobody")

    assert not ApiToken.objects.exists()


def test_token_create_command_refuses_a_deactivated_user(worker):
    worker.is_active = False
    worker.save(update_fields=["is_active"])

    with pytest.raises(CommandError):
        run("create", "worker")

    assert not ApiToken.objects.filter(user=worker).exists()


def test_token_list_command_shows_prefix_and_state(worker):
    active, _ = api_token_create(user=worker, name="active one", actor=worker)
    revoked, _ = api_token_create(user=worker, name="old one", actor=worker)
    run("revoke", revoked.prefix)

    out, _err = run("list", "worker")

    lines = out.strip().splitlines()
    assert len(lines) == 2
    by_prefix = {line.split()[0]: line for line in lines}
    assert "active" in by_prefix[active.prefix]
    assert "active one" in by_prefix[active.prefix]
    assert "revoked" in by_prefix[revoked.prefix]
    assert "old one" in by_prefix[revoked.prefix]


def test_token_revoke_command_revokes_by_prefix(worker):
    row, token = api_token_create(user=worker, name="script", actor=worker)
    other, other_token = api_token_create(user=worker, name="other", actor=worker)

    out, _err = run("revoke", row.prefix)

    assert "Revoked" in out
    row.refresh_from_db()
    other.refresh_from_db()
    assert row.revoked_at is not None
    assert other.revoked_at is None
    assert api(token).get("/api/specialties").status_code == 401
    assert api(other_token).get("/api/specialties").status_code == 200
    event = AuditEvent.objects.get(action="token_revoke", object_id=row.public_id)
    assert event.actor is None


def test_token_revoke_command_refuses_an_unknown_prefix(worker):
    api_token_create(user=worker, name="script", actor=worker)

    with pytest.raises(CommandError, match="0 tokens"):
        run("revoke", "ffffffff")

    assert ApiToken.objects.active().filter(user=worker).count() == 1


def test_profile_shows_how_to_send_the_token_with_its_placeholder(login, worker):
    page = login(worker).get("/accounts/profile/").content.decode()

    assert "Bearer &lt;token&gt;" in page
