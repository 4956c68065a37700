"""English, Dutch and German per person (issue 14): which language a page speaks, a first
sign-in adopting the browser's, the sign-in page's switch, each person's setting, emails in
their recipient's language whoever sends them, stored inbox rows in today's language.

Our own strings are checked against a few test-only translations (tests/i18n_fixtures), not
against the real catalogs under locale/, which translators change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from digests import planning, unread
from digests.models import Frequency, SiteSettings
from esn.templatetags.esn_time import ago
from people import importing
from people.models import LanguageSettings, User
from people.services import follow_person
from posts import services as post_services
from tests.factories import PASSWORD, UserFactory
from tests.sso.provider import oidc_provider, oidc_server  # noqa: F401

pytestmark = pytest.mark.django_db


def set_site_language(code: str) -> None:
    site = LanguageSettings.current()
    site.default_language = code
    site.save()


def html_lang(response) -> str:
    text = response.content.decode()
    start = text.index("<html lang=") + len('<html lang="')
    return text[start : text.index('"', start)]


# --- Which language a page speaks ------------------------------------------------------------


def test_a_signed_in_persons_own_language_wins_over_the_site_default_and_the_browser(
    client, member
):
    set_site_language("nl")
    User.objects.filter(pk=member.pk).update(language="de")
    client.force_login(member)

    page = client.get(reverse("home"), headers={"accept-language": "nl"})

    assert html_lang(page) == "de"
    assert page["Content-Language"] == "de"


def test_who_never_chose_reads_the_site_default_whatever_their_browser_says(client, member):
    client.force_login(member)
    assert html_lang(client.get(reverse("home"), headers={"accept-language": "de"})) == "en"

    set_site_language("nl")

    assert html_lang(client.get(reverse("home"), headers={"accept-language": "de"})) == "nl"


def test_a_visitor_reads_their_cookie_then_their_browser_then_the_site_default(client, settings):
    login = reverse("login")
    assert html_lang(client.get(login)) == "en"
    set_site_language("nl")
    assert html_lang(client.get(login)) == "nl"
    # The best of ours in the browser's order; a regional variant is its language.
    page = client.get(login, headers={"accept-language": "fr-FR, de-AT;q=0.8, nl;q=0.5"})
    assert html_lang(page) == "de"
    assert "Accept-Language" in page["Vary"]
    # Picked on the sign-in page: the cookie wins over the browser.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert html_lang(client.get(login, headers={"accept-language": "de"})) == "en"
    # A language the site does not offer is no choice.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert html_lang(client.get(login, headers={"accept-language": "de"})) == "de"


def test_the_language_of_one_request_does_not_stay_with_the_thread(client, member):
    User.objects.filter(pk=member.pk).update(language="de")
    client.force_login(member)
    client.get(reverse("home"))

    assert translation.get_language() == "en"


def test_relative_times_speak_the_readers_language(test_catalogs):
    now = timezone.now()
    with translation.override("nl"):
        assert ago(now - timedelta(seconds=20), now) == "zojuist"
        assert ago(now - timedelta(minutes=8), now) == "8 min geleden"
    with translation.override("de"):
        assert ago(now - timedelta(minutes=8), now) == "vor 8 Min."


# --- First sign-in ----------------------------------------------------------------------------


def sign_in(client, person: User, accept_language: str):
    response = client.post(
        reverse("login"),
        {"username": person.username, "password": PASSWORD},
        headers={"accept-language": accept_language},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def test_a_first_sign_in_keeps_the_browsers_language_once(client):
    newcomer = UserFactory(username="nina.new", last_login=None)

    sign_in(client, newcomer, "de-DE,de;q=0.9,en;q=0.5")

    newcomer.refresh_from_db()
    assert newcomer.language == "de"
    assert html_lang(client.get(reverse("home"))) == "de"
    # Later sign-ins, from another browser, change nothing.
    client.post(reverse("logout"))
    sign_in(client, newcomer, "nl")
    newcomer.refresh_from_db()
    assert newcomer.language == "de"


def test_a_first_sign_in_never_overrides_a_choice_nor_adopts_a_language_we_lack(client):
    chose = UserFactory(username="chose.english", last_login=None, language="en")
    french = UserFactory(username="francoise", last_login=None)
    before = UserFactory(username="old.hand", last_login=timezone.now() - timedelta(days=90))

    sign_in(client, chose, "nl")
    client.post(reverse("logout"))
    sign_in(client, french, "fr-FR,fr;q=0.9")
    client.post(reverse("logout"))
    sign_in(client, before, "nl")

    assert [p.language for p in User.objects.filter(pk__in=[chose.pk, french.pk, before.pk])
            .order_by("username")] == ["en", "", ""]  # fmt: skip


def test_a_first_sign_in_keeps_the_language_picked_on_the_sign_in_page(client, settings):
    newcomer = UserFactory(username="nina.new", last_login=None)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"

    sign_in(client, newcomer, "de")

    newcomer.refresh_from_db()
    assert newcomer.language == "nl"


def test_a_first_single_sign_on_keeps_the_browsers_language(client, oidc_provider):  # noqa: F811
    oidc_provider.set_user("sub-bo", email="bo.brouwer@acme.example", given_name="Bo")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl-NL,nl;q=0.9"

    assert oidc_provider.sign_in(client, "sub-bo").status_code == 302

    person = User.objects.get(pk=client.session[SESSION_KEY])
    assert person.language == "nl"


# --- The sign-in page's switch ----------------------------------------------------------------


def test_the_sign_in_page_offers_each_language_in_its_own_name_and_switches(
    client, test_catalogs, settings
):
    page = client.get(reverse("login") + "?next=/groups/").content.decode()
    assert 'action="/accounts/language/"' in page
    assert '<span lang="en" aria-current="true">English</span>' in page
    assert 'name="language" value="nl" lang="nl">Nederlands</button>' in page
    assert 'name="language" value="de" lang="de">Deutsch</button>' in page

    switched = client.post(
        reverse("set_language"), {"language": "de", "next": "/accounts/login/?next=/groups/"}
    )

    assert switched.status_code == 302
    assert switched["Location"] == "/accounts/login/?next=/groups/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    german = client.get(switched["Location"])
    assert html_lang(german) == "de"
    assert "<h1>Anmelden</h1>" in german.content.decode()
    # English is now the one to pick, and the German name is the current one.
    assert 'name="language" value="en" lang="en">English</button>' in german.content.decode()
    assert '<span lang="de" aria-current="true">Deutsch</span>' in german.content.decode()


def test_the_switch_never_sends_anyone_to_another_site(client):
    switched = client.post(
        reverse("set_language"), {"language": "nl", "next": "https://evil.example/"}
    )
    assert switched["Location"] == "/"


# --- My language settings ---------------------------------------------------------------------


def test_the_settings_page_offers_the_site_default_by_name_and_the_three_languages(
    member_client, member
):
    set_site_language("de")
    # The member reads English; the site default they could choose is named as it is.
    member.language = "en"
    member.save(update_fields=["language"])

    page = member_client.get(reverse("people:languages")).content.decode()

    assert "Site default (Deutsch)" in page
    for code, name in (("en", "English"), ("nl", "Nederlands"), ("de", "Deutsch")):
        assert f'lang="{code}"' in page and name in page
    assert "Only show posts in the languages I read in my feed" in page
    assert reverse("people:languages") in member_client.get(reverse("home")).content.decode()


def test_saving_my_language_switches_the_page_at_once(member_client, member, test_catalogs):
    saved = member_client.post(
        reverse("people:languages"),
        {"language": "nl", "reads_languages": ["de", "nl"], "only_read_languages_in_feed": "on"},
        follow=True,
    )

    member.refresh_from_db()
    assert member.language == "nl"
    assert member.reads_languages == ["nl", "de"]  # in the site's order
    assert member.only_read_languages_in_feed is True
    assert html_lang(saved) == "nl"
    assert "Je taalinstellingen zijn opgeslagen." in saved.content.decode()

    # Back to the site's default: blank, so a later change of the default applies.
    member_client.post(reverse("people:languages"), {"language": "", "reads_languages": ["nl"]})
    member.refresh_from_db()
    assert (member.language, member.only_read_languages_in_feed) == ("", False)
    set_site_language("de")
    assert html_lang(member_client.get(reverse("home"))) == "de"


def test_limiting_the_feed_without_a_language_read_is_refused_and_keeps_the_choice(
    member_client, member
):
    refused = member_client.post(
        reverse("people:languages"), {"language": "de", "only_read_languages_in_feed": "on"}
    )

    assert refused.status_code == 422
    page = refused.content.decode()
    assert "Tick the languages you read, or show posts in every language." in page
    # What was chosen is still chosen.
    assert 'value="de" id="id_language_3" checked>' in page
    assert 'id="id_only_read_languages_in_feed" checked>' in page
    member.refresh_from_db()
    assert (member.language, member.only_read_languages_in_feed) == ("", False)


def test_an_unknown_language_is_refused(member_client, member):
    refused = member_client.post(reverse("people:languages"), {"language": "fr"})

    assert refused.status_code == 422
    member.refresh_from_db()
    assert member.language == ""


def test_the_site_default_is_one_row_edited_in_admin(client, admin):
    client.force_login(admin)

    door = client.get(reverse("admin:people_languagesettings_changelist"))
    assert door.status_code == 302
    saved = client.post(door["Location"], {"default_language": "nl"})

    assert saved.status_code == 302
    assert LanguageSettings.current().default_language == "nl"
    assert LanguageSettings.objects.count() == 1


# --- Emails in their recipient's language -----------------------------------------------------


@pytest.fixture
def daily_digests_due():
    site = SiteSettings.current()
    site.digest_frequency = Frequency.DAILY
    site.send_hour = 0
    site.save()


def test_one_digest_chunk_mails_each_recipient_in_their_own_language(
    colleague, test_catalogs, daily_digests_due
):
    dutch = UserFactory(username="daan", first_name="Daan", language="nl")
    german = UserFactory(username="greta", first_name="Greta", language="de")
    english = UserFactory(username="emma", first_name="Emma")
    for person in (dutch, german, english):
        follow_person(follower=person, followee=colleague)
    User.objects.filter(pk__in=[dutch.pk, german.pk, english.pk]).update(
        last_seen_at=timezone.now() - timedelta(days=30)
    )
    post_services.create_post(author=colleague, body="Standing desks arrive on Monday")
    now = timezone.now()
    chunks: list[list[int]] = []
    planning.plan(now=now, enqueue=chunks.append)
    assert len(chunks) == 1  # one worker task for everyone (the three and Carl)

    assert translation.get_language() == "en"  # the worker's own language
    planning.send_chunk(chunks[0], now=now)
    assert translation.get_language() == "en"

    sent = {message.to[0]: message for message in mail.outbox}
    nl, de, en = sent[dutch.email], sent[german.email], sent[english.email]
    assert nl.subject == "1 nieuw bericht vandaag: Mensen die je volgt"
    assert "Hallo Daan," in nl.body
    assert "Dit is er sinds je vorige samenvatting gebeurd" in nl.body
    assert "je volgt @carl.colleague" in nl.body
    assert '<html lang="nl">' in nl.alternatives[0][0]
    assert de.subject == "1 neuer Beitrag heute: Personen, denen du folgst"
    assert "Hallo Greta," in de.body
    assert "Das ist seit deiner letzten Zusammenfassung" in de.body
    assert "du folgst @carl.colleague" in de.body
    assert '<html lang="de">' in de.alternatives[0][0]
    assert en.subject == "1 new post today: People you follow"
    assert "Here is what happened since your last digest" in en.body


def test_unread_mentions_are_mailed_in_the_recipients_language(
    member, colleague, test_catalogs, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=member.pk).update(language="de")
    with django_capture_on_commit_callbacks(execute=True):
        post_services.create_post(author=colleague, body="Thoughts, @mia.member?")

    unread.send_unread_emails(now=timezone.now() + timedelta(minutes=31))

    [message] = mail.outbox
    assert message.subject == "1 ungelesene Nachricht an dich"
    assert "Carl Colleague hat dich in einem Beitrag erwähnt" in message.body


def test_invitations_are_written_in_the_invitees_language_or_the_site_default(test_catalogs):
    set_site_language("de")
    dutch = UserFactory(username="noor", language="nl")
    unchosen = UserFactory(username="jonas")

    importing.invite([dutch, unchosen])

    sent = {message.to[0]: message for message in mail.outbox}
    assert sent[dutch.email].subject == "Je bent uitgenodigd voor ESN"
    assert "waar collega's delen waar ze aan werken" in sent[dutch.email].body
    assert sent[unchosen.email].subject == "Du bist zu ESN eingeladen"


def test_a_password_reset_is_mailed_in_the_account_holders_language(client, member, test_catalogs):
    User.objects.filter(pk=member.pk).update(language="nl")

    asked = client.post(
        reverse("password_reset"), {"email": member.email}, headers={"accept-language": "de"}
    )

    assert asked.status_code == 302
    [message] = mail.outbox
    assert message.subject == "Kies een nieuw ESN-wachtwoord"


def test_the_admins_add_person_invite_follows_the_language_set_there(client, admin, test_catalogs):
    client.force_login(admin)

    client.post(
        reverse("admin:people_user_add"),
        {"username": "nieuw", "email": "nieuw@example.com", "first_name": "Nieuw",
         "last_name": "Persoon", "language": "nl"},
    )  # fmt: skip

    [message] = mail.outbox
    assert message.to == ["nieuw@example.com"]
    assert message.subject == "Je bent uitgenodigd voor ESN"


# --- Stored events in today's language ------------------------------------------------------


def test_an_inbox_row_made_in_english_reads_in_dutch_after_switching(
    member_client, member, colleague, test_catalogs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        follow_person(follower=colleague, followee=member)
    english = member_client.get(reverse("digests:inbox")).content.decode()
    assert "<strong>Carl Colleague</strong> started following you" in english

    User.objects.filter(pk=member.pk).update(language="nl")

    dutch = member_client.get(reverse("digests:inbox")).content.decode()
    assert "<strong>Carl Colleague</strong> volgt je nu" in dutch
    assert "started following you" not in dutch


def test_a_refused_nul_byte_is_explained_in_the_readers_language(
    member_client, member, test_catalogs
):
    # The refusal happens before the language middleware; the 400 page still speaks Dutch.
    member.language = "nl"
    member.save(update_fields=["language"])
    response = member_client.get("/search/", {"q": "bad\x00"})
    assert response.status_code == 400
    assert html_lang(response) == "nl"
