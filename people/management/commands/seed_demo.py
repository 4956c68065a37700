"""A believable demo company: people, follows, groups, posts, comments and likes over weeks.

Everything is created through the same services people use, so hashtags, mentions, counts and
memberships (each one the member's own act) are what the site would hold. Deterministic and
idempotent: a second run changes nothing.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from access.actions import membership_of
from analytics import rollup, visits
from digests import services as inbox
from digests.models import InboxItem
from groups import services as group_services
from groups.models import Group, Invitation, Membership
from hashtags.models import Hashtag, TaggedPost
from hashtags.services import follow_hashtag, get_or_create_hashtags
from people.management.commands._demo_texts import (
    COMMENTS,
    GENERIC_COMMENTS,
    GROUP_POSTS,
    LOCAL_POSTS,
    QUESTIONS,
    department_posts,
    tag_of,
)
from people.models import Department, Location, User
from people.services import follow_person
from posts import services as post_services
from posts.models import Comment, Post, Reaction

DEPARTMENTS = {
    # name: (hashtag prefix, job titles)
    "Sales": ("sales", ["Account Executive", "Sales Manager", "Sales Development Rep"]),
    "Engineering": (
        "eng",
        ["Software Engineer", "Engineering Manager", "Site Reliability Engineer"],
    ),
    "Marketing": ("mkt", ["Content Marketer", "Brand Manager", "Marketing Analyst"]),
    "People & Culture": ("hr", ["HR Business Partner", "Recruiter", "People Operations Lead"]),
    "Finance": ("fin", ["Financial Controller", "Accountant", "FP&A Analyst"]),
    "Customer Success": ("cs", ["Customer Success Manager", "Support Engineer", "Onboarding Lead"]),
    "Operations": ("ops", ["Office Manager", "Facilities Coordinator", "IT Administrator"]),
}
LOCATIONS = ["Amsterdam", "Utrecht", "Berlin", "Lisbon"]

FIRST = [
    "Ana",
    "Carl",
    "Dina",
    "Emil",
    "Fatima",
    "Gijs",
    "Hanna",
    "Ivo",
    "Julia",
    "Kofi",
    "Lena",
    "Milan",
    "Noor",
    "Oscar",
    "Priya",
    "Quinten",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wout",
    "Xenia",
    "Yusuf",
    "Zoë",
    "Bram",
    "Chloé",
    "Daan",
    "Elif",
    "Finn",
    "Greta",
    "Hugo",
]
LAST = [
    "Jansen",
    "de Vries",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "de Boer",
    "Dekker",
    "Peters",
    "Hendriks",
    "Costa",
    "Schmidt",
    "Novak",
    "Okafor",
    "Silva",
    "Yilmaz",
    "Kowalski",
    "Nguyen",
    "Haddad",
    "Berg",
    "Vos",
]

TOPICS = {
    "sales": ["onboarding", "pipeline", "q3_targets", "deal_desk"],
    "eng": ["standing_desk", "code_review", "incident_review", "python"],
    "mkt": ["brand_refresh", "webinars", "newsletter"],
    "hr": ["wellbeing", "hiring", "learning_budget"],
    "fin": ["expenses", "budget_2027"],
    "cs": ["nps", "onboarding", "churn"],
    "ops": ["office_move", "it_helpdesk", "bike_to_work"],
}

GROUPS = [
    # name, kind, description, allow_guests, owner department
    (
        "Standing desks",
        Group.Kind.OPEN,
        "Everything about working on your feet: desks, mats, habits and what your back thinks.",
        False,
        "Engineering",
    ),
    (
        "Sales onboarding",
        Group.Kind.PRIVATE,
        "Helping new sellers find their way in their first 90 days. Ask anything.",
        True,
        "Sales",
    ),
    (
        "Python guild",
        Group.Kind.OPEN,
        "Pythonistas across the company: tips, talks, code review buddies.",
        False,
        "Engineering",
    ),
    (
        "Wellbeing at work",
        Group.Kind.OPEN,
        "Walks, breathing breaks, ergonomic tips and the occasional recipe.",
        False,
        "People & Culture",
    ),
    (
        "Partner program",
        Group.Kind.PRIVATE,
        "Working together with our implementation partners. Guests welcome.",
        True,
        "Customer Success",
    ),
    (
        "Office move 2027",
        Group.Kind.SECRET,
        "Planning the Utrecht office move before it is announced.",
        False,
        "Operations",
    ),
]

WEEKS = 8

# What newcomers are offered on their first day (welcome.models.WelcomeSettings).
WELCOME_TEXT = """Welcome to **ESN**, the place where colleagues share what they work on.

- Join a group or two below: nobody signs you up.
- Follow a few hashtags of your department, such as #sales_onboarding.
- Say hello in **Welcome**: what do you do, and what would you like to learn?"""


class Command(BaseCommand):
    help = "Load a demo company (60+ people, groups, posts over weeks). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo", help="password for every demo account")

    def handle(self, *args, password: str, **options):
        if User.objects.filter(username="ana.jansen").exists():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            return
        started = timezone.now()
        # The inbox rows the seeding's events make are delivered here, once it is done, rather
        # than by a worker that is not running yet (`make run` seeds before starting it).
        saved, inbox.hand_to_worker = inbox.hand_to_worker, None
        try:
            with transaction.atomic():
                Seeder(random.Random(2026), make_password(password), started).run()  # noqa: S311
        finally:
            inbox.hand_to_worker = saved
        while inbox.deliver_pending(older_than=timedelta(0)):
            pass
        _mostly_read()
        _visits_and_figures(random.Random(2027))  # noqa: S311
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company loaded: {User.objects.count()} people, {Group.objects.count()} "
                f"groups, {Post.objects.count()} posts, {Comment.objects.count()} comments "
                f"({(timezone.now() - started).total_seconds():.1f} s)."
            )
        )
        self.stdout.write(
            f"Sign in as ana.jansen / {password} (or any demo person), admin / {password} for "
            "Django admin, gus.partner / " + password + " to see what a guest sees."
        )


def _visits_and_figures(rng: random.Random) -> None:
    """Five weeks of visits (the anonymous day counters a running site fills as people open
    pages), then the nightly roll-up for the last three months, so the community-health pages
    have something to show on the first run."""
    _backdate_groups(rng)
    today = timezone.localdate()
    people = list(User.objects.filter(is_active=True, is_service_account=False))
    memberships: dict[int, list[int]] = {}
    for user_id, group_id in Membership.objects.values_list("user_id", "group_id"):
        memberships.setdefault(user_id, []).append(group_id)
    for days_ago in range(visits.TTL.days - 1, 0, -1):
        day = today - timedelta(days=days_ago)
        weekend = day.weekday() >= 5
        for person in people:
            if rng.random() < (0.15 if weekend else 0.7):
                visits.record(person, today=day)
                for group_id in memberships.get(person.pk, []):
                    if rng.random() < 0.35:
                        visits.record(person, group_id=group_id, today=day)
    rollup.roll_up_range(today - timedelta(days=90), today - timedelta(days=1), today=today)


def _backdate_groups(rng: random.Random) -> None:
    """Seeding makes groups and memberships today, though their posts go back months: each
    group is dated before its first post, and each member joined between then and their own
    first post there, so a group's membership over time reads as a real one would."""
    first_posts = {
        (row["group_id"], row["author_id"]): row["first"]
        for row in Post.objects.filter(group__isnull=False)
        .values("group_id", "author_id")
        .annotate(first=Min("created_at"))
    }
    now = timezone.now()
    for group in Group.objects.all():
        firsts = [at for (g, _a), at in first_posts.items() if g == group.pk]
        founded = min([*firsts, now]) - timedelta(days=rng.randint(20, 60))
        Group.objects.filter(pk=group.pk).update(created_at=founded)
        for membership in Membership.objects.filter(group=group):
            latest = first_posts.get((group.pk, membership.user_id), now - timedelta(days=1))
            span = max((latest - founded).total_seconds(), 0)
            joined = founded + timedelta(seconds=rng.uniform(0, span))
            Membership.objects.filter(pk=membership.pk).update(joined_at=joined)


# Unread rows each demo person keeps: a running site's inbox is mostly read.
UNREAD_KEPT = 3


def _mostly_read() -> None:
    """Everything but each person's few newest inbox rows is read, as on a site in use."""
    newest = Window(RowNumber(), partition_by=[F("recipient_id")], order_by=F("timestamp").desc())
    keep = (
        InboxItem.objects.annotate(n=newest).filter(n__lte=UNREAD_KEPT).values_list("pk", flat=True)
    )
    InboxItem.objects.exclude(pk__in=list(keep)).update(unread=False)
    # The few left unread count as mailed already: a demo's first start does not send
    # everyone an unread-message email about conversations made up weeks "ago".
    InboxItem.objects.filter(unread=True).update(emailed_at=timezone.now())


class Seeder:
    def __init__(self, rng: random.Random, password_hash: str, now):
        self.rng = rng
        self.password_hash = password_hash
        self.now = now
        self.people: list[User] = []
        self.by_dept: dict[str, list[User]] = {}

    def run(self) -> None:
        self.make_people()
        self.make_follows()
        self.make_groups()
        self.make_posts()
        self.make_questions()
        self.make_this_week()
        self.make_first_day()
        self.make_local_posts()

    # --- people -----------------------------------------------------------------------

    def _user(self, username: str, first: str, last: str, **fields) -> User:
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            password=self.password_hash,
            date_joined=self.now - timedelta(days=self.rng.randint(70, 900)),
            **fields,
        )
        user.save()
        return user

    def make_people(self) -> None:
        departments = {name: Department.objects.get_or_create(name=name)[0] for name in DEPARTMENTS}
        locations = [Location.objects.get_or_create(name=name)[0] for name in LOCATIONS]
        dept_names = list(DEPARTMENTS)
        pairs = [(f, last) for last in LAST for f in FIRST]
        self.rng.shuffle(pairs)
        pairs.remove(("Ana", "Jansen"))
        pairs.insert(0, ("Ana", "Jansen"))
        taken = set()
        for i, (first, last) in enumerate(pairs):
            if len(self.people) >= 64:
                break
            username = (
                f"{first}.{last}".lower().replace(" ", "").replace("ë", "e").replace("é", "e")
            )
            if username in taken or first in {p.first_name for p in self.people[-6:]}:
                continue
            taken.add(username)
            dept = "Sales" if i == 0 else dept_names[len(self.people) % len(dept_names)]
            prefix, titles = DEPARTMENTS[dept]
            person = self._user(
                username,
                first,
                last,
                title=self.rng.choice(titles),
                department=departments[dept],
                location=locations[0] if i == 0 else self.rng.choice(locations),
                bio=f"{self.rng.choice(titles)} in {dept}. Ask me about "
                f"{self.rng.choice(TOPICS[prefix]).replace('_', ' ')}.",
            )
            person.skills.add(*self.rng.sample(TOPICS[prefix], 2))
            self.people.append(person)
            self.by_dept.setdefault(dept, []).append(person)
        self.ana = self.people[0]
        # The site admin's own login is no colleague: kept out of the directory, suggestions
        # and pickers.
        self._user(
            "admin",
            "Ada",
            "Admin",
            is_staff=True,
            is_superuser=True,
            is_service_account=True,
            title="Site admin",
        )
        sponsor = self.by_dept["Customer Success"][0]
        self.guest = self._user(
            "gus.partner",
            "Gus",
            "Partner",
            title="Implementation consultant",
            organisation="Acme Partners",
            is_guest=True,
            sponsor=sponsor,
            guest_expires_on=(self.now + timedelta(days=90)).date(),
        )

    def make_follows(self) -> None:
        for person in self.people:
            dept = person.department.name
            colleagues = [p for p in self.by_dept[dept] if p != person]
            others = [p for p in self.people if p.department_id != person.department_id]
            picks = self.rng.sample(colleagues, min(len(colleagues), self.rng.randint(2, 6)))
            picks += self.rng.sample(others, self.rng.randint(2, 8))
            for followee in picks:
                follow_person(follower=person, followee=followee)
        for person in self.rng.sample(self.people, 30):
            prefix = DEPARTMENTS[person.department.name][0]
            tag = f"{prefix}_{self.rng.choice(TOPICS[prefix])}"
            follow_hashtag(user=person, hashtag=get_or_create_hashtags([tag])[0])
        # Ana's home feed has something in it from day one.
        for followee in self.people[1:12]:
            follow_person(follower=self.ana, followee=followee)
        for tag in ("sales_onboarding", "eng_standing_desk", "hr_wellbeing"):
            follow_hashtag(user=self.ana, hashtag=get_or_create_hashtags([tag])[0])

    # --- groups: every membership is the member's own act -----------------------------

    def make_groups(self) -> None:
        self.groups: list[Group] = []
        for name, kind, description, allow_guests, dept in GROUPS:
            owner = self.by_dept[dept][1]
            group = group_services.create_group(
                creator=owner,
                name=name,
                kind=kind,
                description=description,
                allow_guests=allow_guests,
                guidelines="Be kind, be specific, and share what worked.",
            )
            candidates = self.rng.sample(self.people, self.rng.randint(8, 22))
            for person in candidates:
                if person == owner:
                    continue
                if kind == Group.Kind.OPEN:
                    group_services.join_group(user=person, group=group)
                elif kind == Group.Kind.PRIVATE and self.rng.random() < 0.5:
                    request = group_services.request_to_join(user=person, group=group)
                    if self.rng.random() < 0.8:
                        group_services.approve_request(request=request, manager=owner)
                else:
                    group_services.invite(group=group, inviter=owner, people=[person])
                    if self.rng.random() < 0.8:
                        invitation = Invitation.objects.get(
                            group=group, invitee=person, status=Invitation.Status.PENDING
                        )
                        group_services.accept_invitation(invitation=invitation, user=person)
            self.groups.append(group)
        standing, onboarding, *_rest = self.groups
        if not membership_of(self.ana, standing):
            group_services.join_group(user=self.ana, group=standing)
        if not membership_of(self.ana, onboarding):
            group_services.invite(
                group=onboarding, inviter=onboarding.created_by, people=[self.ana]
            )
        partner = self.groups[4]
        group_services.invite(group=partner, inviter=partner.created_by, people=[self.guest])
        invitation = Invitation.objects.get(group=partner, invitee=self.guest)
        group_services.accept_invitation(invitation=invitation, user=self.guest)

    # --- posts, comments, likes over the last weeks -----------------------------------

    def _when(self) -> datetime:
        minutes = self.rng.randint(30, WEEKS * 7 * 24 * 60)
        return self.now - timedelta(minutes=minutes)

    def make_posts(self) -> None:
        members = {
            group.pk: list(User.objects.filter(memberships__group=group)) for group in self.groups
        }
        created = []
        used: Counter[str] = Counter()
        for _ in range(170):
            group = self.rng.choice(self.groups) if self.rng.random() < 0.35 else None
            pool = members[group.pk] if group else self.people
            author = self.rng.choice([p for p in pool if not p.is_guest] or pool)
            prefix = DEPARTMENTS[author.department.name][0] if author.department else "cs"
            # A group talks about what it is for; elsewhere (or once a group's texts are
            # used up) people write about their department's topics.
            sources = [GROUP_POSTS.get(group.name, []) if group else [], department_posts(prefix)]
            texts = next((ts for ts in sources if ts and min(used[t] for t in ts) < 2), sources[-1])
            text = self._least_used(texts, used)
            mention = self.rng.choice([p for p in pool if p != author]).username
            post = post_services.create_post(
                author=author, body=text.format(mention=mention), group=group
            )
            created.append((post, tag_of(text), self._when(), pool))
        guest_group = self.groups[4]
        created.append(
            (
                post_services.create_post(
                    author=self.guest,
                    body="Hello from Acme Partners! Looking forward to the rollout #cs_onboarding",
                    group=guest_group,
                ),
                "cs_onboarding",
                self.now - timedelta(days=3),
                members[guest_group.pk],
            )
        )
        for post, tag, when, pool in created:
            Post.objects.filter(pk=post.pk).update(created_at=when)
            TaggedPost.objects.filter(content_object=post).update(created_at=when)
            post.created_at = when
            others = [p for p in pool if p.pk != post.author_id]
            commenters = self.rng.sample(others, min(len(others), self.rng.randint(0, 4)))
            # Replies about the post's topic first, then the general kind: no thread says
            # the same thing twice.
            topical = COMMENTS.get(tag, [])
            bodies = self.rng.sample(topical, len(topical)) + self.rng.sample(
                GENERIC_COMMENTS, len(GENERIC_COMMENTS)
            )
            for commenter, text in zip(commenters, bodies, strict=False):
                mentioned = self.rng.choice([p for p in others if p != commenter] or others)
                body = text.format(mention=mentioned.username)
                comment = post_services.add_comment(post=post, author=commenter, body=body)
                later = min(
                    when + timedelta(minutes=self.rng.randint(5, 3 * 24 * 60)),
                    self.now - timedelta(minutes=1),
                )
                Comment.objects.filter(pk=comment.pk).update(created_at=later)
            for liker in self.rng.sample(others, min(len(others), self.rng.randint(0, 9))):
                post_services.toggle_like(post=post, user=liker)
        self._backdate_likes({post.pk: when for post, _tag, when, _pool in created})
        for group in self.groups:
            posts = Post.objects.filter(group=group).order_by("created_at")
            oldest, newest = posts.first(), posts.last()
            if newest:
                # Started before its first post: the directory shows outsiders when a group
                # they cannot read was started, not when it was last active.
                Group.objects.filter(pk=group.pk).update(
                    created_at=oldest.created_at - timedelta(days=2),
                    last_activity_at=newest.created_at,
                )

    def _least_used(self, texts: list[str], used: Counter[str]) -> str:
        # Every text is posted once before any is posted twice: many voices, not a few
        # lines on repeat.
        fewest = min(used[text] for text in texts)
        text = self.rng.choice([text for text in texts if used[text] == fewest])
        used[text] += 1
        return text

    # --- this week: something trends, and people are known for topics --------------------

    def make_this_week(self) -> None:
        """A company-wide conversation several departments join (so "Trending" has a clear
        top), one loud account (which ranks below it: trending counts people, not posts), an
        answered question, skills spelled like the hashtags people use, and a handful of
        people who chose to be listed under "Who knows about #tag" (so it lists someone). Its
        own random source: the data above stays the same."""
        rng = random.Random(2027)  # noqa: S311
        voices = [
            ("Question for Friday's #town_hall: {q}", 7),
            ("What makes an #eng_code_review useful for you? {q}", 4),
            ("Week {n} of #ops_bike_to_work: {q}", 5),
        ]
        asks = [
            "how do we decide which projects get funded?",
            "will the hybrid policy change next year?",
            "can we hear more about the new office?",
            "what did we learn from the customer survey?",
            "who is the go-to person for travel bookings?",
            "how are we doing against the plan?",
            "can we get a short demo of the roadmap?",
        ]
        employees = [p for p in self.people if not p.is_guest]
        written = []
        spoke: list[list[User]] = []
        for text, voices_n in voices:
            spoke.append(rng.sample(employees, voices_n))
            for n, author in enumerate(spoke[-1], start=1):
                body = text.format(q=rng.choice(asks), n=n)
                post = post_services.create_post(author=author, body=body)
                written.append((post, self.now - timedelta(hours=rng.randint(2, 6 * 24))))
        loud = self.by_dept["Sales"][2]
        for n in range(6):
            post = post_services.create_post(
                author=loud, body=f"Deal update {n + 1}: another step closer! #sales_q3_targets"
            )
            written.append((post, self.now - timedelta(hours=rng.randint(2, 6 * 24))))
        for post, when in written:
            Post.objects.filter(pk=post.pk).update(created_at=when)
            TaggedPost.objects.filter(content_object=post).update(created_at=when)
        # The first town hall question is answered, and the answer accepted.
        question, asked = written[0]
        helper = rng.choice([p for p in employees if p.pk != question.author_id])
        answer = post_services.add_comment(
            post=question, author=helper, body="The portfolio board decides, every quarter."
        )
        answered = min(asked + timedelta(hours=1), self.now - timedelta(minutes=10))
        Comment.objects.filter(pk=answer.pk).update(created_at=answered)
        # Accepted a little after it was written, as the asker would.
        Post.objects.filter(pk=question.pk).update(
            is_question=True, accepted_answer=answer, answered_at=answered + timedelta(minutes=5)
        )
        # Skills as hashtags: some people list the tag of a topic of their department.
        skilled = rng.sample(employees, 16)
        for person in skilled:
            prefix = DEPARTMENTS[person.department.name][0]
            person.skills.add(f"{prefix}_{rng.choice(TOPICS[prefix])}")
        # "Who knows" lists only people who chose to be listed (nobody is by default): a
        # handful did, among those who spoke up this week and those who list a skill, so the
        # card has names. Never Ana, the demo's own login: the card leaves out its viewer.
        town_hall, code_review, skill = (
            [p for p in group if p != self.ana] for group in (spoke[0], spoke[1], skilled)
        )
        listed = {
            *rng.sample(town_hall, 3),
            *rng.sample(code_review, 3),
            *rng.sample(skill, 3),
            *([helper] if helper != self.ana else []),
        }
        User.objects.filter(pk__in=[p.pk for p in listed]).update(listed_as_knowing=True)

    def _backdate_likes(self, posted_at: dict[int, datetime]) -> None:
        # Likes come after their post, never in the future. Drawn last, so the people,
        # posts and comments above stay the same for a given seed.
        likes = list(Reaction.objects.filter(post_id__in=posted_at).order_by("pk"))
        for like in likes:
            after = posted_at[like.post_id] + timedelta(minutes=self.rng.randint(1, 2 * 24 * 60))
            like.created_at = min(after, self.now - timedelta(minutes=1))
        Reaction.objects.bulk_update(likes, ["created_at"], batch_size=500)

    # --- questions, some answered -------------------------------------------------------

    def make_questions(self) -> None:
        """Mark the posts that ask something as questions and accept an answer on every
        other one. No random draws here, so everything above stays the same for the seed."""
        starts = Q()
        for start in QUESTIONS:
            starts |= Q(body__startswith=start)
        asked = list(
            Post.objects.filter(starts).select_related("group").order_by("created_at", "id")
        )
        Post.objects.filter(pk__in=[p.pk for p in asked]).update(is_question=True)
        for n, post in enumerate(asked):
            post.is_question = True
            if n % 2:
                continue  # stays open: the Questions page and digests have something to show
            pool = (
                list(User.objects.filter(memberships__group=post.group).order_by("pk"))
                if post.group_id
                else self.people
            )
            helpers = [p for p in pool if p.pk != post.author_id and not p.is_guest]
            body = next(text for start, text in QUESTIONS.items() if post.body.startswith(start))
            answer = post_services.add_comment(
                post=post, author=helpers[n % len(helpers)], body=body
            )
            answered_at = min(post.created_at + timedelta(hours=3), self.now - timedelta(minutes=1))
            Comment.objects.filter(pk=answer.pk).update(
                created_at=answered_at - timedelta(minutes=20)
            )
            post_services.accept_answer(post=post, comment=answer, by=post.author)
            Post.objects.filter(pk=post.pk).update(answered_at=answered_at)

    # --- a first day: what newcomers are offered, an announcement --------------------

    def make_first_day(self) -> None:
        """A first day worth seeing: a Welcome group, the busiest #dept_topic tags featured for
        newcomers, a company announcement pinned to Home, a newcomer account (nina.peeters) who
        follows nothing yet, and inboxes that are mostly read, as a running site's are. Its own
        random source: the data above stays the same."""
        from welcome.models import WelcomeSettings
        from welcome.services import announce

        rng = random.Random(2028)  # noqa: S311
        host = self.by_dept["People & Culture"][0]
        welcome = group_services.create_group(
            creator=host,
            name="Welcome",
            kind=Group.Kind.OPEN,
            description="New here? Say hello, ask where things are, and find your way around.",
        )
        Group.objects.filter(pk=welcome.pk).update(
            guidelines="Be kind, no question is too small.\n\n1. Say who you are\n2. Ask anything"
        )
        hello = post_services.create_post(
            author=host,
            body="Welcome to everyone who joined this month! Tell us who you are and what you work "
            "on. Questions about laptops, expenses or the coffee machine are all fair game.",
            group=welcome,
        )
        for person in rng.sample([p for p in self.people if not p.is_guest], 9):
            if not membership_of(person, welcome):
                group_services.join_group(user=person, group=welcome)
        busiest = list(
            Hashtag.objects.filter(slug__contains="_")
            .annotate(uses=Count("tagged_posts"))
            .order_by("-uses", "slug")[:4]
        )
        site = WelcomeSettings.current()
        site.welcome_text = WELCOME_TEXT
        site.save()
        site.featured_groups.set(
            [welcome, *[g for g in self.groups if g.kind == Group.Kind.OPEN][:2]]
        )
        site.featured_hashtags.set(busiest)
        admin = User.objects.get(username="admin")
        town_hall = post_services.create_post(
            author=host,
            body="**Town hall this Friday at 16:00**, in Amsterdam and online. The leadership team "
            "shares the plans for next year, then it is your turn to ask. Questions in advance "
            "are welcome under #town_hall.",
        )
        announce(post=town_hall, by=admin, days=7)
        Post.objects.filter(pk=hello.pk).update(created_at=self.now - timedelta(days=6))
        # A newcomer, joined today, who follows nothing: what a first day looks like.
        nina = self._user(
            "nina.peeters",
            "Nina",
            "Peeters",
            title="Account executive",
            department=Department.objects.get(name="Sales"),
            location=Location.objects.get(name="Utrecht"),
        )
        User.objects.filter(pk=nina.pk).update(date_joined=self.now)

    # --- a few posts in Dutch and German --------------------------------------------------

    def make_local_posts(self) -> None:
        """Posts by people in Utrecht and Berlin in their office's language: published through
        the service like every other, which detects the language. Its own random source: the
        data above stays the same."""
        rng = random.Random(2029)  # noqa: S311
        for place, bodies in LOCAL_POSTS.items():
            locals_ = [p for p in self.people if not p.is_guest and p.location.name == place]
            for body, author in zip(bodies, rng.sample(locals_, len(bodies)), strict=True):
                post = post_services.create_post(author=author, body=body)
                when = self.now - timedelta(hours=rng.randint(3, 9 * 24))
                Post.objects.filter(pk=post.pk).update(created_at=when)
