"""The audit vocabulary is a type: writers name a member; the filter and labels know them all."""

import ast
from pathlib import Path

import pytest

from practice.audit import audit_record
from practice.console.forms.audit import AuditFilterForm
from practice.models import AuditEvent
from practice.vocabulary import AuditAction, SessionEndReason, SignInFailure, Zone

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "mfa", "phonecodes", "practice"]


def app_sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_an_action_the_vocabulary_does_not_know_is_refused(member):
    with pytest.raises(ValueError, match="AuditAction"):
        audit_record(action="user.renamed", target=member)
    assert not AuditEvent.objects.filter(action="user.renamed").exists()


def test_no_code_writes_an_action_as_a_bare_string():
    """Every audit_record(action=...) names an AuditAction member (or passes one along)."""
    bare = []
    for path in app_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "audit_record"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno} {keyword.value.value!r}")
    assert bare == []


def test_the_audit_filter_offers_every_action_with_its_label():
    # Grouped by area (one <optgroup> each): flatten the groups.
    choices = AuditFilterForm().fields["action"].choices
    offered = dict(
        item for _, group in choices if isinstance(group, list | tuple) for item in group
    )
    assert "Other" not in [area for area, group in choices if isinstance(group, list)]
    for action in AuditAction:
        assert offered[action.value] == action.label
        assert AuditFilterForm({"action": action.value}).is_valid()
    assert not AuditFilterForm({"action": "user.renamed"}).is_valid()


@pytest.mark.parametrize("vocabulary", [AuditAction, Zone, SignInFailure, SessionEndReason])
def test_every_word_has_a_label_in_plain_words(vocabulary):
    for member in vocabulary:
        assert member.label and member.label != member.value


def test_the_audit_page_shows_the_label_and_refuses_an_unknown_action(client, admin_user, member):
    from tests.signin_helpers import sign_in

    audit_record(action=AuditAction.USER_UNLOCKED, target=member, actor=admin_user)
    sign_in(client, admin_user)
    body = client.get("/console/audit/").content.decode()
    assert "Unlocked" in body
    response = client.get("/console/audit/?action=user.renamed")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
