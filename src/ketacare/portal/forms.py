"""Forms of the portal's sign-in pages, and where "I need help now" was pressed."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.http import url_has_allowed_host_and_scheme


class PasswordSignInForm(forms.Form):
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email for a sign-in link", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label="New password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; not a common password.",
    )
    confirm = forms.CharField(
        label="Type it again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: object, user: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        password, confirm = data.get("password"), data.get("confirm")
        if password and confirm and password != confirm:
            self.add_error("confirm", "The two passwords differ.")
        elif password:
            try:
                validate_password(str(password), self.user)  # type: ignore[arg-type]
            except forms.ValidationError as problem:
                self.add_error("password", problem)
        return data


class HelpPageForm(forms.Form):
    """The portal page "I need help now" was pressed on (`?page=`): named in the flag's reason
    and offered as the way back, so it must be a page of the portal."""

    page = forms.CharField(max_length=200, required=False)

    def clean_page(self) -> str:
        page: str = self.cleaned_data["page"]
        if page and not (
            page.startswith("/portal/") and url_has_allowed_host_and_scheme(page, None)
        ):
            raise forms.ValidationError("Not a page of the portal.")
        return page
