"""The roles page's form: "Role name" and one checkbox per permission, grouped."""

from django import forms

from practice.models import PracticeRole
from practice.roles import PERMISSION_GROUPS
from practice.vocabulary import Permission


def _field_name(permission: Permission) -> str:
    return "perm_" + permission.value.replace(".", "_")


class RoleForm(forms.Form):
    name = forms.CharField(label="Role name", max_length=100)

    def __init__(self, *args, role: PracticeRole | None = None, held=frozenset(), **kwargs):
        """`held`: the signed-in user's permissions; the others are shown but cannot be
        changed (nobody gives or takes away what they may not do themselves)."""
        initial = {}
        if role is not None:
            initial["name"] = role.name
            for permission in Permission:
                initial[_field_name(permission)] = permission.value in role.permissions
        super().__init__(*args, initial=initial, **kwargs)
        self.role = role
        for _, permissions in PERMISSION_GROUPS:
            for permission in permissions:
                field = forms.BooleanField(label=permission.label, required=False)
                field.disabled = permission not in held
                self.fields[_field_name(permission)] = field
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})

    def groups(self):
        """(group title, [bound checkbox, ...]) in the page's order."""
        return [
            (title, [self[_field_name(permission)] for permission in permissions])
            for title, permissions in PERMISSION_GROUPS
        ]

    def permissions(self) -> list[str]:
        return [
            permission.value
            for permission in Permission
            if self.cleaned_data.get(_field_name(permission))
        ]
