"""A request body over REQUEST_MAX_BYTES is refused with 413 before it is read: through
Django's test client (a body that cannot be read), through the ASGI application (a receive
channel that must not be called), and through the real uvicorn server with a raw socket."""

import io
import json
import socket
import uuid
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from caunoi.consults.models import Attachment
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.core.request_size import MIDDLEWARE_PATH, guard_request_size
from caunoi.core.tests.aio import run_async
from caunoi.patients.tests.factories import make_patient

TEN_GB = 10 * 1024**3


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self):
        return True

    def read(self, *args):
        raise AssertionError("the body was read")

    readinto = readline = read


@pytest.fixture
def consult(worker):
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker), specialty=internal_medicine(), summary=summary()
        ),
    )[0]


def _huge_post(client, path, **headers):
    return client.generic(
        "POST",
        path,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(TEN_GB),
        **{"wsgi.input": UnreadableBody()},
        **headers,
    )


# --- the middleware, through Django's test client -------------------------------------------------


@pytest.mark.django_db
def test_an_api_upload_announcing_ten_gigabytes_is_refused_unread_in_the_api_error_shape(
    worker, consult, api_client, settings
):
    settings.REQUEST_MAX_BYTES = 31 * 1024 * 1024
    response = _huge_post(
        api_client(worker),
        f"/api/consults/{consult.public_id}/attachments",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "message": "This upload is too large: at most 31 MB can be sent at once. "
        "Send fewer files at a time, or smaller ones.",
        "errors": [],
    }
    assert not Attachment.objects.filter(consultation=consult).exists()


@pytest.mark.django_db
def test_a_page_upload_announcing_ten_gigabytes_gets_a_page_in_the_sites_layout(
    worker, consult, login
):
    client = login(worker)
    response = _huge_post(
        client, f"/consults/{consult.public_id}/attach/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert '<header class="top">' in page
    assert "<h1>Upload too large</h1>" in page
    limit = django_settings.REQUEST_MAX_BYTES // (1024 * 1024)
    assert f"at most {limit} MB can be sent at once" in page
    assert not Attachment.objects.filter(consultation=consult).exists()


@pytest.mark.django_db
def test_the_refusal_page_speaks_vietnamese_by_default(worker, consult, login):
    response = _huge_post(login(worker), f"/consults/{consult.public_id}/attach/")
    assert response.status_code == 413
    assert '<html lang="vi">' in response.content.decode()


@pytest.mark.django_db
def test_a_body_exactly_at_the_limit_goes_through(worker, consult, api_client, settings):
    client = api_client(worker)
    path = f"/api/consults/{consult.public_id}/attachments"
    # Measure the multipart body the client builds, then make that the limit.
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    photo = io.BytesIO(jpeg_bytes(color="navy"))
    photo.name = "anh.jpg"
    body = encode_multipart(BOUNDARY, {"attachments": [photo]})
    settings.REQUEST_MAX_BYTES = len(body)
    response = client.generic("POST", path, body, content_type=MULTIPART_CONTENT)
    assert response.status_code == 201, response.content
    assert [a["name"] for a in response.json()] == ["anh.jpg"]
    settings.REQUEST_MAX_BYTES = len(body) - 1
    response = client.generic("POST", path, body, content_type=MULTIPART_CONTENT)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Attachment.objects.filter(consultation=consult).count() == 1


def test_the_middleware_comes_first_and_the_asgi_guard_insists_on_it(settings):
    assert django_settings.MIDDLEWARE[0] == MIDDLEWARE_PATH
    settings.MIDDLEWARE = [m for m in django_settings.MIDDLEWARE if m != MIDDLEWARE_PATH]

    async def app(scope, receive, send):
        pass

    with pytest.raises(ImproperlyConfigured):
        guard_request_size(app)


# --- the ASGI application --------------------------------------------------------------------------


def _scope(path, headers):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"accept-language", b"en"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }


def _call_asgi(scope, receive):
    from caunoi.config.asgi import application

    sent = []

    async def send(message):
        sent.append(message)

    async def run():
        await application(scope, receive, send)

    run_async(run)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


def test_under_asgi_a_body_announced_too_large_is_never_received(committed_db):
    async def receive():
        raise AssertionError("the body was received")

    status, body = _call_asgi(
        _scope(
            f"/api/consults/{uuid.uuid4()}/attachments",
            [
                (b"content-length", str(TEN_GB).encode()),
                (b"content-type", b"multipart/form-data; boundary=x"),
            ],
        ),
        receive,
    )
    assert status == 413
    assert json.loads(body)["code"] == "too_large"


def test_under_asgi_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit(
    committed_db, settings
):
    settings.REQUEST_MAX_BYTES = 64 * 1024
    chunk = b"x" * 8192
    pulled = []

    async def endless_body():
        pulled.append(len(chunk))
        if len(pulled) > 1000:
            raise AssertionError("8 MB of body were read with a limit of 64 kB")
        return {"type": "http.request", "body": chunk, "more_body": True}

    status, body = _call_asgi(
        _scope(
            f"/api/consults/{uuid.uuid4()}/attachments",
            [(b"content-type", b"multipart/form-data; boundary=x")],
        ),
        endless_body,
    )
    assert status == 413
    assert json.loads(body)["code"] == "too_large"
    # Eight chunks make the limit; the ninth passes it and is the last one taken.
    assert len(pulled) == 9


# --- the real server ---------------------------------------------------------------------------------


def _exchange(base_url, head, chunks=()):
    """Send a raw HTTP/1.1 request and read one response (status, JSON body)."""
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=15) as sock:
        sock.sendall(head)
        for data in chunks:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                break
        received = b""
        while b"\r\n\r\n" not in received:
            more = sock.recv(65536)
            assert more, "the server closed the connection without answering"
            received += more
        header, _sep, body = received.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        fields = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        while len(body) < int(fields.get("content-length", "0")):
            more = sock.recv(65536)
            assert more, "the server closed the connection in the middle of its answer"
            body += more
    return int(lines[0].split()[1]), json.loads(body)


def test_the_real_server_answers_413_at_once_to_a_huge_content_length_without_a_body(
    live_server_url,
):
    # Nothing but the headers is ever sent: a server that waited for the body would not answer.
    head = (
        f"POST /api/consults/{uuid.uuid4()}/attachments HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nContent-Length: {TEN_GB}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nAccept-Language: en\r\n\r\n"
    ).encode()
    status, body = _exchange(live_server_url, head)
    assert status == 413
    assert body["code"] == "too_large"
    assert "can be sent at once" in body["message"]


def test_the_real_server_refuses_a_chunked_body_that_grows_past_the_limit(
    live_server_url, settings
):
    settings.REQUEST_MAX_BYTES = 64 * 1024
    head = (
        f"POST /api/consults/{uuid.uuid4()}/attachments HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nAccept-Language: en\r\n\r\n"
    ).encode()
    chunk = b"x" * 16384
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 16 + [b"0\r\n\r\n"]
    status, body = _exchange(live_server_url, head, chunks)
    assert status == 413
    assert body["code"] == "too_large"
