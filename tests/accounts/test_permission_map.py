"""The user page's permission map is written once (accounts.lifecycle.CHANGE_PERMISSIONS): the
service, the console's form and the view's declaration all read it."""

from dataclasses import fields

import pytest

from accounts.lifecycle import CHANGE_PERMISSIONS, USER_PAGE_PERMISSIONS, UserChanges
from practice.console.forms.users import UserForm, field_permission
from practice.console.views.users import user_detail

pytestmark = pytest.mark.django_db


def test_every_part_of_the_user_page_has_one_permission():
    assert set(CHANGE_PERMISSIONS) == {field.name for field in fields(UserChanges)}


def test_the_form_and_the_view_derive_from_the_map(admin_user, member):
    form = UserForm(user=member, actor=admin_user)
    assert {field_permission(name) for name in form.fields} == USER_PAGE_PERMISSIONS
    assert set(user_detail.console_permissions["POST"]) == USER_PAGE_PERMISSIONS
