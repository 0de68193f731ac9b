"""The practice's roles: the list, "Add role", and a role's page ("Save role")."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.permissions import permissions_of
from accounts.roles import role_create, role_update
from practice.console.access import console_view
from practice.console.forms.roles import RoleForm
from practice.console.selectors import roles as selectors
from practice.console.views.common import add_errors
from practice.vocabulary import Permission


@never_cache
@console_view(get=Permission.MANAGE_ROLES)
def roles_list(request):
    context = {
        "rows": selectors.role_rows(request.user.practice),
        "console_section": "roles",
    }
    return render(request, "console/roles.html", context)


@never_cache
@console_view(get=Permission.MANAGE_ROLES, post=Permission.MANAGE_ROLES)
def role_new(request):
    return _role_page(request, None)


@never_cache
@console_view(get=Permission.MANAGE_ROLES, post=Permission.MANAGE_ROLES)
def role_detail(request, role_id):
    role = selectors.role_of_practice(request.user.practice, role_id)
    if role is None:
        raise Http404("No such role.")
    return _role_page(request, role)


def _role_page(request, role):
    held = permissions_of(request.user)
    form = RoleForm(request.POST or None, role=role, held=held)
    if request.method == "POST" and form.is_valid():
        try:
            if role is None:
                role = role_create(
                    practice=request.user.practice,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    permissions=form.permissions(),
                    request=request,
                )
                messages.success(request, f"Added the role {role}.")
            else:
                changed = role_update(
                    role=role,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    permissions=form.permissions(),
                    request=request,
                )
                messages.success(request, f"Saved {role}." if changed else "Nothing changed.")
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect("console:roles")
    context = {"form": form, "role": role, "console_section": "roles"}
    return render(request, "console/role_form.html", context, status=400 if form.is_bound else 200)
