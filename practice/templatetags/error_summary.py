"""The error summary a failed form shows at the top (after GOV.UK's error summary).

`{% error_summary form other_form %}` renders one box for the forms given that failed: what
did not happen ("The changes were not saved", or the form's own `error_summary_title`), how
many problems, and each problem linked to its field. It has role="alert", and static/js/forms.js
focuses it when the page loads, so a failed save is seen and heard at once rather than found
later far down the page. Nothing is rendered when no form failed.
"""

from django import template

register = template.Library()

DEFAULT_TITLE = "The changes were not saved"


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms):
    title = ""
    problems = []
    for form in forms:
        if not getattr(form, "is_bound", False) or not form.errors:
            continue
        title = title or getattr(form, "error_summary_title", DEFAULT_TITLE)
        problems += [{"text": error, "href": ""} for error in form.non_field_errors()]
        # A field's problem is named by its label and links to it; the message itself stays by
        # the field (read out there through its aria-describedby), so no message is on the page
        # twice. Errors of the whole form have no field: the summary is where they are said.
        problems += [
            {"text": field.label, "href": f"#{field.id_for_label}"}
            for field in form  # in the form's order, which is the page's
            if field.errors
        ]
    return {"title": title, "problems": problems}
