"""Error pages are our own, calm, and say nothing about the server."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from tests.signin_helpers import sign_in


def boom(request):
    raise RuntimeError("secret detail: db password hunter2")


urlpatterns = [path("boom/", boom)]


@pytest.mark.django_db
def test_404_page_is_ours(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "There is no page at this address" in text
    assert "Go to the start" in text


@pytest.mark.django_db
def test_403_page_is_ours(client, member):
    sign_in(client, member)
    response = client.get("/console/")
    assert response.status_code == 403
    assert "ask your practice administrator" in response.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_500_page_is_ours_and_hides_the_error():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong" in text
    assert "hunter2" not in text
    assert "RuntimeError" not in text


@pytest.mark.django_db
def test_pages_name_our_icon(client):
    assert 'rel="icon"' in client.get("/login/").content.decode()
