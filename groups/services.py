"""Every write to groups, memberships, invitations and requests (ARCHITECTURE.md rule 5).

Consent first: the only functions that create a Membership are `create_group` (the creator),
`join_group` (an open group, the person's own click), `approve_request` (the person asked)
and `accept_invitation` (the person accepted). There is no other way in.

Each function locks the group row, so a double-submitted form or two managers acting at
once serialise; repeating an action that already happened is a no-op, never a duplicate
or an error page. Every membership and moderation action leaves an AuditEntry.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from access.actions import (
    can_manage_group,
    create_group_refusal,
    invitee_refusal,
    is_group_owner,
    join_refusal,
    may_ask_to_join,
    may_join_directly,
    membership_of,
    role_refusal,
)
from access.people import employees_q
from digests import services as inbox
from esn.text import clean_name
from groups import selectors
from groups.models import AuditEntry, Ban, Group, Invitation, JoinRequest, Membership
from people import importing
from people.models import User
from people.services import free_username

Role = Membership.Role
Action = AuditEntry.Action


def audit(group: Group | None, actor: User | None, action: str, **fields) -> AuditEntry:
    return AuditEntry.objects.create(group=group, actor=actor, action=action, **fields)


# Every reason and note a person writes here (a ban, a removal, a declined request, a note to
# the managers) has this limit, stated in the error.
REASON_MAX_LENGTH = 1000


def reason_text(reason: str, *, required: str = "") -> str:
    """`reason` stripped and within REASON_MAX_LENGTH; `required`: the message when it is
    empty and must not be."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError(required)
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep it under %(max)s characters: this one has %(length)s.")
            % {
                "max": number_format(REASON_MAX_LENGTH, force_grouping=True),
                "length": number_format(len(reason), force_grouping=True),
            }
        )
    return reason


def _locked(group: Group) -> Group:
    return Group.objects.select_for_update().get(pk=group.pk)


def _require_manager(user: User, group: Group) -> None:
    if not can_manage_group(user, group):
        raise PermissionDenied(_("Only this group's owners and managers can do that."))


def _require_open_for_changes(group: Group) -> None:
    if group.is_archived:
        raise ValidationError(_("This group is archived: it is read-only."))


def _add_member(group: Group, user: User, role: str = Role.MEMBER) -> Membership:
    membership, created = Membership.objects.get_or_create(
        group=group, user=user, defaults={"role": role}
    )
    if created:
        Group.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    return membership


def _drop_member(group: Group, user: User) -> bool:
    deleted, _rows = Membership.objects.filter(group=group, user=user).delete()
    if deleted:
        Group.objects.filter(pk=group.pk).update(member_count=F("member_count") - 1)
    return bool(deleted)


# Paths under /groups/ that are pages of their own, not groups.
RESERVED_SLUGS = {"new", "invitations", "moderation"}


def _unique_slug(name: str, *, secret: bool = False) -> str:
    """The group's address. A secret group never takes a plain name: its address carries a
    random part, so it cannot be guessed, and whether a plain name is taken tells nobody
    that a secret group exists (only groups every employee may know hold plain names)."""
    base = slugify(name, allow_unicode=True)[:120] or "group"
    if secret:
        while True:
            slug = f"{base}-{secrets.token_hex(4)}"
            if not Group.objects.filter(slug=slug).exists():
                return slug
    slug, n = base, 1
    while slug in RESERVED_SLUGS or Group.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- creating and running a group -------------------------------------------------------


@transaction.atomic
def create_group(*, creator: User, name: str, kind: str, **fields) -> Group:
    if refusal := create_group_refusal(creator):
        raise PermissionDenied(refusal)
    name = clean_name(name)
    if not name:
        raise ValidationError({"name": _("Give the group a name.")})
    group = Group.objects.create(
        name=name,
        slug=_unique_slug(name, secret=kind == Group.Kind.SECRET),
        kind=kind,
        created_by=creator,
        **fields,
    )
    _add_member(group, creator, Role.OWNER)
    audit(group, creator, Action.CREATED)
    return group


EDITABLE_FIELDS = ("name", "description", "guidelines", "cover", "kind", "allow_guests")


@transaction.atomic
def update_group(*, group: Group, editor: User, **changes) -> Group:
    _require_manager(editor, group)
    group = _locked(group)
    _require_open_for_changes(group)
    if "name" in changes:
        changes["name"] = clean_name(changes["name"])
        if not changes["name"]:
            raise ValidationError({"name": _("Give the group a name.")})
    changed = [f for f in EDITABLE_FIELDS if f in changes and getattr(group, f) != changes[f]]
    for name in changed:
        setattr(group, name, changes[name])
    if "kind" in changed and group.kind == Group.Kind.SECRET:
        # Its plain address would keep its name taken for everyone: see `_unique_slug`.
        group.slug = _unique_slug(group.name, secret=True)
        changed.append("slug")
    if changed:
        group.save(update_fields=changed)
        audit(group, editor, Action.EDITED, detail=", ".join(changed)[:200])
    return group


@transaction.atomic
def archive_group(*, group: Group, user: User, archived: bool = True) -> Group:
    _require_manager(user, group)
    group = _locked(group)
    if group.is_archived == archived:
        return group
    group.archived_at = timezone.now() if archived else None
    group.save(update_fields=["archived_at"])
    audit(group, user, Action.ARCHIVED if archived else Action.UNARCHIVED)
    return group


def touch(group_id: int) -> None:
    """A post or comment went into the group: the directory sorts by this."""
    Group.objects.filter(pk=group_id).update(last_activity_at=timezone.now())


# --- joining and leaving: the member's own acts ------------------------------------------


def _check_may_join(user: User, group: Group) -> None:
    if refusal := join_refusal(user, group):
        raise PermissionDenied(refusal)
    _require_open_for_changes(group)


@transaction.atomic
def join_group(*, user: User, group: Group) -> Membership:
    """One click into an open group."""
    group = _locked(group)
    if existing := membership_of(user, group):
        return existing
    if not may_join_directly(user, group):
        raise PermissionDenied(_("This group is not open: ask to join, or wait for an invitation."))
    _check_may_join(user, group)
    membership = _add_member(group, user)
    audit(group, user, Action.JOINED)
    return membership


@transaction.atomic
def request_to_join(*, user: User, group: Group, message: str = "") -> JoinRequest | Membership:
    group = _locked(group)
    if existing := membership_of(user, group):
        return existing
    if not may_ask_to_join(user, group):
        raise PermissionDenied(_("This group takes new members by invitation only."))
    _check_may_join(user, group)
    if pending := selectors.pending_request_of(user, group):
        return pending
    request = JoinRequest.objects.create(group=group, user=user, message=reason_text(message))
    audit(group, user, Action.REQUESTED)
    inbox.record(inbox.join_requests_changed, group_id=group.pk, requester_id=user.pk)
    return request


@transaction.atomic
def withdraw_request(*, user: User, group: Group) -> None:
    group = _locked(group)
    updated = JoinRequest.objects.filter(
        group=group, user=user, status=JoinRequest.Status.PENDING
    ).update(status=JoinRequest.Status.WITHDRAWN, decided_at=timezone.now())
    if updated:
        audit(group, user, Action.WITHDREW)
        inbox.record(inbox.join_requests_changed, group_id=group.pk)


@transaction.atomic
def leave_group(*, user: User, group: Group) -> None:
    """Always one click, except that a group is never left without an owner."""
    group = _locked(group)
    membership = membership_of(user, group)
    if membership is None:
        return
    last_owner = membership.role == Role.OWNER and not (
        Membership.objects.filter(group=group, role=Role.OWNER).exclude(user=user).exists()
    )
    # The only member may leave: the group stays, for admins to archive or hand over.
    if last_owner and group.member_count > 1:
        raise ValidationError(
            _("You are the last owner. Make another member an owner before you leave.")
        )
    _drop_member(group, user)
    audit(group, user, Action.LEFT)


@transaction.atomic
def set_muted(*, user: User, group: Group, muted: bool) -> None:
    Membership.objects.filter(user=user, group=group).update(muted=muted)


# --- managers: requests, invitations, members ---------------------------------------------


@transaction.atomic
def approve_request(*, request: JoinRequest, manager: User) -> Membership | None:
    group = _locked(request.group)
    _require_manager(manager, group)
    request = JoinRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == JoinRequest.Status.APPROVED:
        return membership_of(request.user, group)
    if request.status != JoinRequest.Status.PENDING:
        raise ValidationError(_("This request was already withdrawn or declined."))
    _check_may_join(request.user, group)
    request.status = JoinRequest.Status.APPROVED
    request.decided_by, request.decided_at = manager, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    membership = _add_member(group, request.user)
    audit(group, manager, Action.APPROVED, target_user=request.user)
    inbox.record(inbox.join_request_decided, request_id=request.pk)
    inbox.record(inbox.join_requests_changed, group_id=group.pk)
    return membership


@transaction.atomic
def decline_request(*, request: JoinRequest, manager: User, reason: str = "") -> None:
    reason = reason_text(reason)
    group = _locked(request.group)
    _require_manager(manager, group)
    updated = JoinRequest.objects.filter(pk=request.pk, status=JoinRequest.Status.PENDING).update(
        status=JoinRequest.Status.DECLINED, decided_by=manager, decided_at=timezone.now()
    )
    if updated:
        audit(group, manager, Action.DECLINED_REQUEST, target_user=request.user, reason=reason)
        inbox.record(inbox.join_request_decided, request_id=request.pk, reason=reason)
        inbox.record(inbox.join_requests_changed, group_id=group.pk)


def _invitable(group: Group, people: Iterable[User]) -> tuple[list[User], list[str]]:
    """Who can be invited, and why the others cannot (one line each)."""
    people = list(people)
    ids = [p.pk for p in people]
    members = set(
        Membership.objects.filter(group=group, user_id__in=ids).values_list("user_id", flat=True)
    )
    invited = set(
        Invitation.objects.filter(
            group=group, invitee_id__in=ids, status=Invitation.Status.PENDING
        ).values_list("invitee_id", flat=True)
    )
    banned = set(Ban.objects.filter(group=group, user_id__in=ids).values_list("user_id", flat=True))
    ok, skipped = [], []
    for person in people:
        if person.pk in members:
            skipped.append(_("%(name)s is already a member.") % {"name": person})
        elif person.pk in invited:
            skipped.append(_("%(name)s is already invited.") % {"name": person})
        elif person.pk in banned:
            skipped.append(_("%(name)s is banned from this group.") % {"name": person})
        elif refusal := invitee_refusal(person, group):
            skipped.append(refusal)
        else:
            ok.append(person)
    return ok, skipped


@transaction.atomic
def invite(*, group: Group, inviter: User, people: Iterable[User]) -> tuple[int, list[str]]:
    """Ask people to join. Nobody becomes a member until they accept. Returns how many
    invitations went out and why the others did not. One audit row per person invited."""
    return _invite(group, inviter, people)


@transaction.atomic
def invite_guest(
    *,
    group: Group,
    inviter: User,
    email: str,
    first_name: str,
    last_name: str,
    organisation: str = "",
    access_end=None,
) -> User:
    """Bring someone from outside in, into this group only: a guest account sponsored by the
    inviting manager, with no password (they are mailed a one-time link to choose one), and
    an invitation to the group they accept or decline like anyone else. Someone already here
    as a guest is just invited; an employee is invited by name instead."""
    group = _locked(group)
    _require_manager(inviter, group)
    if inviter.is_guest:
        raise PermissionDenied(_("Guests cannot invite guests."))
    if not group.allow_guests:
        raise ValidationError(_("This group does not accept guests (see Edit the group)."))
    existing = User.objects.filter(email__iexact=email.strip()).order_by("pk").first()
    if existing is not None and not existing.is_guest:
        raise ValidationError(
            _("%(email)s belongs to an employee: invite them by name above.") % {"email": email}
        )
    guest = existing
    if guest is None:
        guest = User(
            username=free_username(email, fallback="guest"),
            email=email.strip(),
            first_name=clean_name(first_name),
            last_name=clean_name(last_name),
            organisation=organisation.strip(),
            is_guest=True,
            sponsor=inviter,
            guest_expires_on=access_end,
        )
        guest.set_unusable_password()
        guest.full_clean()
        guest.save()
        transaction.on_commit(lambda: importing.invite([guest]))
    sent, skipped = _invite(group, inviter, [guest])
    if not sent:
        raise ValidationError(" ".join(skipped))
    return guest


def _invite(
    group: Group,
    inviter: User,
    people: Iterable[User],
    *,
    everyone_in: tuple[str, str] | None = None,
) -> tuple[int, list[str]]:
    """`everyone_in`: (audit action, name) when a whole department or location is invited:
    then the audit log gets one row ("invited Sales, 10 people"), not one per person, so
    a department of 300 does not bury the rest of the log."""
    group = _locked(group)
    _require_manager(inviter, group)
    _require_open_for_changes(group)
    ok, skipped = _invitable(group, people)
    sent = Invitation.objects.bulk_create(
        [Invitation(group=group, invitee=person, invited_by=inviter) for person in ok]
    )
    if everyone_in is None:
        for person in ok:
            audit(group, inviter, Action.INVITED, target_user=person)
    elif ok:
        action, name = everyone_in
        audit(group, inviter, action, detail=name[:200], people_count=len(ok))
    ids = [i.pk for i in sent]
    if ids:
        inbox.record(inbox.invited_to_group, invitation_ids=ids)
    return len(ok), skipped


@transaction.atomic
def invite_department(*, group: Group, inviter: User, department) -> tuple[int, list[str]]:
    """Invite every employee of `department` (guests are never in a department invitation);
    one audit row for the lot."""
    people = User.objects.filter(employees_q(), department=department)
    return _invite(group, inviter, people, everyone_in=(Action.INVITED_DEPARTMENT, department.name))


@transaction.atomic
def invite_location(*, group: Group, inviter: User, location) -> tuple[int, list[str]]:
    """Invite every employee at `location`; one audit row for the lot."""
    people = User.objects.filter(employees_q(), location=location)
    return _invite(group, inviter, people, everyone_in=(Action.INVITED_LOCATION, location.name))


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, manager: User) -> None:
    group = _locked(invitation.group)
    _require_manager(manager, group)
    updated = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.REVOKED, decided_at=timezone.now()
    )
    if updated:
        audit(group, manager, Action.REVOKED, target_user=invitation.invitee)
        inbox.invitation_settled(
            group_id=group.pk, invitee_id=invitation.invitee_id, withdrawn=True
        )


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> Membership:
    if invitation.invitee_id != user.pk:
        raise PermissionDenied
    group = _locked(invitation.group)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == Invitation.Status.ACCEPTED:
        # A repeated click: fine. An old invitation after a removal or ban: not a way back in.
        if membership := membership_of(user, group):
            return membership
        raise ValidationError(_("This invitation was already used."))
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("This invitation was withdrawn or already declined."))
    _check_may_join(user, group)
    invitation.status, invitation.decided_at = Invitation.Status.ACCEPTED, timezone.now()
    invitation.save(update_fields=["status", "decided_at"])
    # An invitation answers a pending request too.
    answered = JoinRequest.objects.filter(
        group=group, user=user, status=JoinRequest.Status.PENDING
    ).update(status=JoinRequest.Status.APPROVED, decided_at=timezone.now())
    membership = _add_member(group, user)
    audit(group, user, Action.ACCEPTED)
    inbox.invitation_settled(group_id=group.pk, invitee_id=user.pk, withdrawn=False)
    if answered:
        inbox.record(inbox.join_requests_changed, group_id=group.pk)
    return membership


@transaction.atomic
def decline_invitation(*, invitation: Invitation, user: User) -> None:
    if invitation.invitee_id != user.pk:
        raise PermissionDenied
    group = _locked(invitation.group)
    updated = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.DECLINED, decided_at=timezone.now()
    )
    if updated:
        audit(group, user, Action.DECLINED_INVITATION)
        inbox.invitation_settled(group_id=group.pk, invitee_id=user.pk, withdrawn=False)


def _target_membership(group: Group, person: User) -> Membership | None:
    return Membership.objects.select_for_update().filter(group=group, user=person).first()


def _require_owner(user: User, group: Group) -> None:
    if not is_group_owner(user, group):
        raise PermissionDenied(_("Only an owner can do that to a manager or another owner."))


def _check_can_act_on(manager: User, group: Group, target: Membership) -> None:
    """Managers act on members; only owners (and admins) act on managers and owners."""
    if target.role != Role.MEMBER:
        _require_owner(manager, group)


def _check_keeps_an_owner(group: Group, target: Membership) -> None:
    if target.role == Role.OWNER and not (
        Membership.objects.filter(group=group, role=Role.OWNER).exclude(pk=target.pk).exists()
    ):
        raise ValidationError(_("A group always has an owner: make someone else owner first."))


def _tell_membership_ended(
    group: Group, person: User, manager: User, *, reason: str, banned: bool
) -> None:
    """The person hears of it once, with the reason (digests.services.membership_ended)."""
    inbox.record(
        inbox.membership_ended,
        group_id=group.pk,
        person_id=person.pk,
        by_id=manager.pk,
        banned=banned,
        reason=reason,
    )


@transaction.atomic
def remove_member(*, group: Group, manager: User, person: User, reason: str = "") -> None:
    reason = reason_text(reason)
    group = _locked(group)
    _require_manager(manager, group)
    target = _target_membership(group, person)
    if target is None:
        return
    _check_can_act_on(manager, group, target)
    _check_keeps_an_owner(group, target)
    _drop_member(group, person)
    audit(group, manager, Action.REMOVED_MEMBER, target_user=person, reason=reason)
    _tell_membership_ended(group, person, manager, reason=reason, banned=False)


@transaction.atomic
def ban_member(*, group: Group, manager: User, person: User, reason: str) -> None:
    reason = reason_text(reason, required=_("Say why: the ban reason is kept in the audit log."))
    group = _locked(group)
    _require_manager(manager, group)
    if person.pk == manager.pk:
        raise ValidationError(_("You cannot ban yourself."))
    target = _target_membership(group, person)
    if target is not None:
        _check_can_act_on(manager, group, target)
        _check_keeps_an_owner(group, target)
        _drop_member(group, person)
    _ban, created = Ban.objects.get_or_create(
        group=group, user=person, defaults={"reason": reason.strip(), "banned_by": manager}
    )
    if created:
        JoinRequest.objects.filter(
            group=group, user=person, status=JoinRequest.Status.PENDING
        ).update(status=JoinRequest.Status.DECLINED, decided_by=manager, decided_at=timezone.now())
        Invitation.objects.filter(
            group=group, invitee=person, status=Invitation.Status.PENDING
        ).update(status=Invitation.Status.REVOKED, decided_at=timezone.now())
        inbox.invitation_settled(group_id=group.pk, invitee_id=person.pk, withdrawn=True)
        audit(group, manager, Action.BANNED, target_user=person, reason=reason)
        _tell_membership_ended(group, person, manager, reason=reason, banned=True)
        inbox.record(inbox.join_requests_changed, group_id=group.pk)


@transaction.atomic
def unban(*, group: Group, manager: User, person: User) -> None:
    group = _locked(group)
    _require_manager(manager, group)
    deleted, _rows = Ban.objects.filter(group=group, user=person).delete()
    if deleted:
        audit(group, manager, Action.UNBANNED, target_user=person)
        inbox.record(inbox.ban_lifted, group_id=group.pk, person_id=person.pk, by_id=manager.pk)


@transaction.atomic
def set_role(*, group: Group, manager: User, person: User, role: str) -> Membership:
    """Promote or demote an existing member. Never creates a membership."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    group = _locked(group)
    _require_manager(manager, group)
    target = _target_membership(group, person)
    if target is None:
        raise ValidationError(_("%(name)s is not a member.") % {"name": person})
    if target.role == role:
        return target
    if role == Role.OWNER or target.role != Role.MEMBER:
        _require_owner(manager, group)
    if refusal := role_refusal(person, role):
        raise ValidationError(refusal)
    if target.role == Role.OWNER:
        _check_keeps_an_owner(group, target)
    old = target.role
    target.role = role
    target.save(update_fields=["role"])
    audit(group, manager, Action.PROMOTED, target_user=person, detail=f"{old} → {role}")
    inbox.record(inbox.role_changed, membership_id=target.pk, changed_by_id=manager.pk)
    return target
