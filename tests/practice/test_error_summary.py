"""The error summary a failed form shows at the top (practice/templatetags/error_summary.py)."""

from django import forms
from django.template import Context, Template

SUMMARY = Template("{% load error_summary %}{% error_summary first second %}")


class TimesForm(forms.Form):
    start = forms.TimeField(label="Monday start")
    end = forms.TimeField(label="Monday end")

    def clean(self):
        raise forms.ValidationError("The window is not saved.")


class CodeForm(forms.Form):
    error_summary_title = "The code was not accepted"

    code = forms.CharField(label="Verification code")


def render(first=None, second=None) -> str:
    return SUMMARY.render(Context({"first": first, "second": second}))


def test_nothing_when_no_form_failed():
    assert render(TimesForm(), CodeForm({"code": "123456"})).strip() == ""
    assert render(None, "").strip() == ""


def test_counts_the_problems_and_links_each_field_in_order():
    html = render(TimesForm({"start": "25:00", "end": "nine"}))
    assert "The changes were not saved: 3 problems" in html
    assert 'role="alert"' in html and 'tabindex="-1"' in html and "data-error-summary" in html
    start = html.index('<a href="#id_start">Monday start</a>')
    end = html.index('<a href="#id_end">Monday end</a>')
    assert html.index("The window is not saved.") < start < end
    # A field's message is said by the field, once on the page.
    assert "Enter a valid time." not in html


def test_one_problem_is_singular_and_a_form_may_name_what_did_not_happen():
    html = render(CodeForm({"code": ""}))
    assert "The code was not accepted: 1 problem<" in html
    assert 'href="#id_code"' in html


def test_two_forms_make_one_summary():
    html = render(CodeForm({"code": ""}), TimesForm({"start": "07:00", "end": "19:00"}))
    assert html.count("data-error-summary") == 1
    assert "The code was not accepted: 2 problems" in html
