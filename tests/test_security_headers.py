import pytest

pytestmark = pytest.mark.django_db


def test_pages_send_a_strict_csp_and_no_store(client):
    response = client.get("/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script_or_style(client, practice):
    for path in ["/login/", f"/p/{practice.code}/login/"]:
        body = client.get(path).content.decode()
        assert "<script>" not in body and "style=" not in body


def test_unknown_practice_login_page_is_404(client):
    assert client.get("/p/nowhere/login/").status_code == 404
