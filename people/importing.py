"""Bringing people in from a CSV file, for sites that keep local accounts (issue 13).

One row per person: email, first name, last name, department, location, title, guest
(yes/no), sponsor (a username or email of an employee; guests only), access end (YYYY-MM-DD;
guests only). Everything is checked first and each bad row says what is wrong; nothing is
saved while any row is wrong. A person is known by their email address (any case): importing
the same file again updates them instead of making a second account. New people get no
password: they are sent a one-time link to choose one (`invite`), which expires and works
once (Django's password-reset tokens: PASSWORD_RESET_TIMEOUT, and a password set makes it
void).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.formats import number_format
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from esn.text import clean_name
from people.models import Department, Location, User
from people.selectors import language_of, site_language
from people.services import free_username

COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "department",
    "location",
    "title",
    "guest",
    "sponsor",
    "access_end",
]
REQUIRED = {"email", "first_name", "last_name"}
# A file bigger than this is not a staff list: refused before it is read.
MAX_ROWS = 20_000
YES, NO = {"yes", "y", "true", "1", "ja", "j"}, {"", "no", "n", "false", "0", "nee", "nein"}


class UnreadableFileError(ValueError):
    """The file as a whole cannot be read (not CSV, wrong columns, too many rows)."""


@dataclass
class Row:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    # Filled in by check(): the account it updates, or None for a new person.
    existing: User | None = None
    department: Department | None = None
    location: Location | None = None
    sponsor: User | None = None
    guest: bool = False
    access_end: date | None = None

    @property
    def email(self) -> str:
        return self.values.get("email", "").strip().lower()


@dataclass
class Preview:
    rows: list[Row]

    @property
    def bad(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    @property
    def new(self) -> list[Row]:
        return [row for row in self.rows if not row.errors and row.existing is None]

    @property
    def updates(self) -> list[Row]:
        return [row for row in self.rows if not row.errors and row.existing is not None]


def read(text: str) -> list[Row]:
    """The rows of a CSV text with a header line naming the columns (any order, any case;
    unknown columns are an error, so a typo does not silently drop a field)."""
    if text.startswith("\ufeff"):  # a spreadsheet's byte-order mark
        text = text[1:]
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except StopIteration:
        raise UnreadableFileError(_("The file is empty.")) from None
    unknown = [h for h in header if h not in COLUMNS]
    missing = sorted(REQUIRED - set(header))
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(_("unknown columns: %(c)s") % {"c": ", ".join(unknown)})
        if missing:
            parts.append(_("missing columns: %(c)s") % {"c": ", ".join(missing)})
        raise UnreadableFileError(
            _("The header line does not fit (%(what)s). The columns are: %(all)s.")
            % {"what": "; ".join(parts), "all": ", ".join(COLUMNS)}
        )
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise UnreadableFileError(
                _("At most %(n)s people per file.")
                % {"n": number_format(MAX_ROWS, force_grouping=True)}
            )
        values = {
            name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)
        }
        row = Row(number, values)
        if len(cells) > len(header):
            row.errors.append(_("More cells than columns."))
        rows.append(row)
    return rows


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check(rows: list[Row]) -> Preview:
    """Every problem of every row, in a fixed number of queries for any number of rows."""
    emails = [row.email for row in rows if row.email]
    existing = {
        u.email.lower(): u for u in User.objects.annotate(key=Lower("email")).filter(key__in=emails)
    }
    departments = {d.name.lower(): d for d in Department.objects.all()}
    locations = {loc.name.lower(): loc for loc in Location.objects.all()}
    sponsor_names = {row.values.get("sponsor", "").strip().lower() for row in rows} - {""}
    sponsors = {}
    if sponsor_names:
        candidates = User.objects.annotate(u=Lower("username"), e=Lower("email")).filter(
            Q(u__in=sponsor_names) | Q(e__in=sponsor_names), is_active=True, is_guest=False
        )
        for person in candidates:
            for key in (person.username.lower(), person.email.lower()):
                if key in sponsor_names:
                    sponsors[key] = person
    seen: dict[str, int] = {}
    today = timezone.localdate()
    for row in rows:
        v = row.values
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(_("“%(e)s” is not an email address.") % {"e": v.get("email", "")})
        else:
            if row.email in seen:
                row.errors.append(
                    _("The same email as line %(n)d: one line per person.") % {"n": seen[row.email]}
                )
            seen.setdefault(row.email, row.line)
            row.existing = existing.get(row.email)
        for name in ("first_name", "last_name"):
            if not clean_name(v.get(name, "")):
                row.errors.append(_("The %(col)s is empty.") % {"col": name.replace("_", " ")})
        if len(v.get("title", "")) > 150:
            row.errors.append(_("The title is longer than 150 characters."))
        guest = v.get("guest", "").strip().lower()
        if guest not in YES | NO:
            row.errors.append(_("Guest must be yes or no, not “%(v)s”.") % {"v": v["guest"]})
        row.guest = guest in YES
        dept, loc = v.get("department", "").strip(), v.get("location", "").strip()
        if row.guest and (dept or loc):
            row.errors.append(_("A guest has no department or location: leave them empty."))
        if dept:
            row.department = departments.get(dept.lower())
            if row.department is None:
                row.errors.append(_("No department is called “%(d)s”.") % {"d": dept})
        if loc:
            row.location = locations.get(loc.lower())
            if row.location is None:
                row.errors.append(_("No location is called “%(l)s”.") % {"l": loc})
        sponsor = v.get("sponsor", "").strip().lower()
        if row.guest and not sponsor:
            row.errors.append(_("A guest needs a sponsor: the employee who invites them."))
        elif sponsor and not row.guest:
            row.errors.append(_("Only guests have a sponsor."))
        elif sponsor:
            row.sponsor = sponsors.get(sponsor)
            if row.sponsor is None:
                row.errors.append(_("No active employee is “%(s)s”.") % {"s": v["sponsor"]})
        end = v.get("access_end", "").strip()
        if end:
            if not row.guest:
                row.errors.append(_("Only a guest's access has an end date."))
            elif not _DATE.match(end):
                row.errors.append(
                    _("Write the access end as YYYY-MM-DD, not “%(v)s”.") % {"v": end}
                )
            else:
                try:
                    row.access_end = date.fromisoformat(end)
                except ValueError:
                    row.errors.append(_("%(v)s is not a date.") % {"v": end})
                else:
                    if row.access_end <= today:
                        row.errors.append(_("The access end %(v)s has passed.") % {"v": end})
        if row.existing is not None and row.existing.is_guest != row.guest:
            row.errors.append(
                _("%(e)s is already here as an employee; a file cannot make them a guest.")
                % {"e": row.email}
                if not row.existing.is_guest
                else _("%(e)s is here as a guest; a file cannot make them an employee.")
                % {"e": row.email}
            )
    return Preview(rows)


@transaction.atomic
def apply(preview: Preview) -> tuple[list[User], list[User]]:
    """Save a preview without errors: (created, updated). Refuses if any row is wrong."""
    if preview.bad:
        raise UnreadableFileError(_("Some lines have errors: nothing was saved."))
    fields = ["first_name", "last_name", "title", "department", "location", "sponsor"]
    updated = []
    for row in preview.updates:
        user = row.existing
        assert user is not None  # noqa: S101 - `updates` are the rows with an account
        user.first_name = clean_name(row.values["first_name"])
        user.last_name = clean_name(row.values["last_name"])
        user.title = row.values.get("title", "")
        user.department, user.location, user.sponsor = row.department, row.location, row.sponsor
        if row.guest:
            user.guest_expires_on = row.access_end
        updated.append(user)
    User.objects.bulk_update(updated, [*fields, "guest_expires_on"], batch_size=1000)
    # Every username, lowercased, once: the new names are chosen without a query each.
    taken = {name.lower() for name in User.objects.values_list("username", flat=True)}
    created = []
    for row in preview.new:
        user = User(
            username=free_username(row.email, taken),
            email=row.values["email"].strip(),
            first_name=clean_name(row.values["first_name"]),
            last_name=clean_name(row.values["last_name"]),
            title=row.values.get("title", ""),
            department=row.department,
            location=row.location,
            is_guest=row.guest,
            sponsor=row.sponsor,
            guest_expires_on=row.access_end,
        )
        # No password anyone knows: they choose one from the link they are sent.
        user.set_unusable_password()
        created.append(user)
    User.objects.bulk_create(created, batch_size=1000)
    return created, updated


def invite(people: list[User]) -> int:
    """Mail each person a one-time link to choose their password, in their language (the
    one set for them, else the site's default): one connection for all."""
    messages = []
    site_default = site_language()
    for person in people:
        link = settings.SITE_URL + reverse(
            "password_reset_confirm",
            args=[
                urlsafe_base64_encode(force_bytes(person.pk)),
                default_token_generator.make_token(person),
            ],
        )
        context = {
            "person": person,
            "link": link,
            "days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
            "site_url": settings.SITE_URL,
        }
        with translation.override(language_of(person, site_default=site_default)):
            message = EmailMultiAlternatives(
                subject=_("You are invited to %(site)s") % {"site": "ESN"},
                body=render_to_string("people/email/invited.txt", context),
                to=[person.email],
            )
        messages.append(message)
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)
