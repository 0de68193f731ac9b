"""Support staff's Django admin (/admin/): Django's site, with what every admin on it must do
added in one place, to ours and to third-party apps' admins alike (django.contrib.auth's groups,
a plugin's device admin registered some day), so that registering an admin cannot forget it.

- A changelist filters only by the lookups its own page offers: its list filters' parameters and
  its date hierarchy's. Django lets a query string filter by any lookup on the model's own
  fields, and the result count answers: `?password__startswith=<guess>` gave a password hash
  away a character at a time.
- A NUL character in a query parameter, a posted value or a path part is refused (400) before
  the view runs: PostgreSQL refuses NUL in text, and a filter's value reached it as it came.
- The ids an action is posted for must be ids: Django filters by them as they come, and any
  text that is not a number was an error page.

Installed as the default admin site by config.apps.SupportAdminConfig.
"""

from functools import wraps

from django.contrib import admin
from django.contrib.admin import helpers, widgets
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import BadRequest, ValidationError

# The query parameters Django's own list filters use, after the field's path: a choice or a
# yes/no (`__exact`), "all values" (the path itself), a relation (`__<its key>__exact`), a date
# range (`__gte`, `__lt`), "empty" (`__isempty`), and each one's "none" (`__isnull`).
FILTER_SUFFIXES = ("", "__exact", "__isnull", "__gte", "__lt", "__isempty")
# A date hierarchy's levels; a filter's links on a chosen day carry the day as a range.
DATE_HIERARCHY_SUFFIXES = ("__year", "__month", "__day", "__gte", "__lt")


def offered_lookups(model_admin, request) -> set[str]:
    """The filter parameters the changelist of `model_admin` puts in its own links."""
    offered = set()
    if model_admin.date_hierarchy:
        offered.update(model_admin.date_hierarchy + part for part in DATE_HIERARCHY_SUFFIXES)
    for item in model_admin.get_list_filter(request):
        if isinstance(item, type):  # a SimpleListFilter: one parameter of its own
            offered.add(item.parameter_name)
            continue
        path = item[0] if isinstance(item, list | tuple) else item
        path = getattr(path, "name", path)  # a field given as itself
        offered.update(path + suffix for suffix in FILTER_SUFFIXES)
        field = get_fields_from_path(model_admin.model, path)[-1]
        if field.is_relation and getattr(field, "target_field", None) is not None:
            offered.add(f"{path}__{field.target_field.name}__exact")
    return offered


def _raw_id_popup_lookup(model, lookup: str, value) -> bool:
    """Django's one other filter: a raw-id widget's popup, filtered by a ForeignKey's
    limit_choices_to (fixed pairs of our models, not of the query string)."""
    for fk_lookup in model._meta.related_fkey_lookups:
        fk_lookup = fk_lookup() if callable(fk_lookup) else fk_lookup
        if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
            return True
    return False


class SupportModelAdmin:
    """What SupportAdminSite adds to every ModelAdmin registered on it (a mixin, first)."""

    def lookup_allowed(self, lookup, value, request=None):
        # SECURITY: an allow-list. Anything else (a secret's field, `__regex`, a relation to
        # another model's secret) is DisallowedModelAdminLookup: a 400 that counts nothing.
        return lookup in offered_lookups(self, request) or _raw_id_popup_lookup(
            self.model, lookup, value
        )

    def response_action(self, request, queryset):
        pk = self.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                pk.to_python(value)
            except ValidationError:
                raise BadRequest("A selected row is not one of this list.") from None
        return super().response_action(request, queryset)


def _contains_nul(request, kwargs) -> bool:
    texts = [*kwargs.values()]
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            texts.append(key)
            texts.extend(values)
    return any("\x00" in text for text in texts if isinstance(text, str))


def _refusing_nul(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if _contains_nul(request, kwargs):
            raise BadRequest("A NUL character is not text any field can hold.")
        return view(request, *args, **kwargs)

    return checked


class SupportAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SupportModelAdmin):
            admin_class = type(
                admin_class.__name__,
                (SupportModelAdmin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        # Inside Django's wrapper: who may not use the admin is sent to sign in first.
        return super().admin_view(_refusing_nul(view), cacheable)
