"""Who is told what. Only this module creates inbox notifications (STYLE.md, rule 16).

The inbox arrives with the notifications issue; the services of other apps already call
these functions after commit, so that issue fills them in without touching posts/ or
people/. Until then they record nothing: nothing is pushed to anyone.
"""

from __future__ import annotations


def post_published(*, post_id: int, mentioned_user_ids: list[int]) -> None:
    """Called after a post is committed. Will notify the people mentioned in it."""


def comment_published(*, comment_id: int, mentioned_user_ids: list[int]) -> None:
    """Called after a comment is committed. Will notify the post's author, the thread's
    participants and the people mentioned."""


def person_followed(*, follower_id: int, followee_id: int) -> None:
    """Called after someone follows a person. Will tell the followee."""


def post_liked(*, post_id: int, user_id: int) -> None:
    """Called after a like. Will update the author's aggregated reaction row."""


def content_removed(*, post_id: int, comment_id: int | None) -> None:
    """Called after a moderator removes a post or comment. Will tell its author why."""


def invited_to_group(*, invitation_ids: list[int]) -> None:
    """Called after invitations are sent. Will put each in the invitee's inbox."""


def join_request_decided(*, request_id: int) -> None:
    """Called after a manager approves or declines a join request. Will tell the requester."""


def role_changed(*, membership_id: int) -> None:
    """Called after a member is promoted or demoted. Will tell them."""


def author_warned(*, report_id: int) -> None:
    """Called after a moderator resolves a report with a warning. Will tell the author, with
    the moderator's note."""
