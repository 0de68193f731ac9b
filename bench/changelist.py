"""Django admin's changelist, made to show what the console's user list shows: like for like.

The same rows (the practice's active users, by last name, first name, username, then id), 50 a
page, and the same eight columns computed by the same functions (practice.console.selectors),
with the page's second factors read once per device model, as the console does. Everything else
is Django admin as it comes, minus two things our list does not do either, so that the admin
side is never slowed by work the console skips: no actions column, and no second count of all
rows (show_full_result_count).

Which practice: `?practice=<code>` (taken out of the query before the changelist reads it).
Bench only: the site is mounted by bench.urls, which only the bench uses.
"""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from mfa.selectors import second_factor_kinds
from practice.admin_readonly import ReadOnlyModelAdmin
from practice.console.selectors.statuses import (
    open_invitation_exists,
    password_status,
    registration_status,
    second_factor_text,
    user_status,
)
from practice.console.selectors.user_list import PAGE_SIZE
from practice.models import Practice
from practice.policy import effective_policy


class _PageSecondFactors(ChangeList):
    """Reads the second factors of the page's users in one go, as the console's list does."""

    def get_results(self, request):
        super().get_results(request)
        users = list(self.result_list)
        kinds = second_factor_kinds(user.pk for user in users)
        for user in users:
            user.bench_second_factors = kinds.get(user.pk, [])
        self.result_list = users


class ConsoleColumnsAdmin(ReadOnlyModelAdmin):
    list_display = [
        "name",
        "username",
        "role",
        "status",
        "second_factor",
        "registration",
        "password_state",
        "last_login",
    ]
    list_display_links = ["name"]
    list_per_page = PAGE_SIZE
    list_select_related = ["practice"]
    ordering = [Lower("last_name"), Lower("first_name"), Lower("username")]
    show_full_result_count = False
    actions = None

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        self.practice_ids = {}

    def get_changelist(self, request, **kwargs):
        return _PageSecondFactors

    def changelist_view(self, request, extra_context=None):
        request.GET = request.GET.copy()
        request.bench_practice = request.GET.pop("practice", [""])[0]
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        # The practice's id is read once per practice: the console knows its administrator's.
        code = getattr(request, "bench_practice", "")
        if code not in self.practice_ids:
            self.practice_ids[code] = (
                Practice.objects.filter(code=code).values_list("pk", flat=True).first()
            )
        return (
            super()
            .get_queryset(request)
            .filter(practice_id=self.practice_ids[code], is_active=True)
            .annotate(has_open_invitation=open_invitation_exists())
        )

    @admin.display(description="Name")
    def name(self, user):
        return user.get_full_name() or user.username

    @admin.display(description="Status")
    def status(self, user):
        return ", ".join(badge.text for badge in user_status(user, timezone.now()))

    @admin.display(description="Second factor")
    def second_factor(self, user):
        return second_factor_text(getattr(user, "bench_second_factors", []))

    @admin.display(description="Registration")
    def registration(self, user):
        return registration_status(user).text

    @admin.display(description="Password")
    def password_state(self, user):
        return password_status(user, effective_policy(user), timezone.now()).text


site = admin.AdminSite(name="bench_admin")
site.register(User, ConsoleColumnsAdmin)
