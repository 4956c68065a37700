"""What the demo company writes: posts, comments, questions and their answers.

A separate module so seed_demo.py stays about *how* the company is built. The leading
underscore keeps Django from listing this module as a management command.

Every post carries the hashtag of the topic it sits under (`#eng_code_review` is about code
review), so a hashtag page reads as one conversation and "Who knows about" means something.
`{mention}` becomes a colleague's username. A post that is an `Ask` becomes a question: its
opening words, up to the first "?", are how make_questions recognises it, and its answer is the
reply the asker accepts. Places, people and companies are made up.
"""

from __future__ import annotations

import re


class Ask(str):
    """A post that asks something, with the answer its author will accept."""

    answer: str

    def __new__(cls, text: str, answer: str) -> Ask:
        ask = super().__new__(cls, text)
        ask.answer = answer
        return ask

    @property
    def start(self) -> str:
        return self[: self.index("?") + 1]


# Posts written outside groups, by people of the department whose prefix the tag has.
POSTS: dict[str, list[str]] = {
    "sales_onboarding": [
        "Buddy wanted: two new sellers start in Lisbon next month and need someone who has "
        "been here a year or more. One hour a week. #sales_onboarding",
        "The new-seller bootcamp is now two days instead of five, with more time on real "
        "calls. Feedback from the first group was good. #sales_onboarding",
    ],
    "sales_pipeline": [
        "Pipeline review moved to Thursday 10:00 this week. Please update next steps and "
        "close dates before Wednesday evening. #sales_pipeline",
        "Cleaned up my #sales_pipeline today: closed 14 opportunities that hadn't moved in 90 "
        "days. It hurts, but the forecast is honest now.",
        Ask(
            "How do you decide when a deal moves from 'proposal' to 'negotiation'? Our team "
            "uses three different rules. #sales_pipeline",
            "When the buyer has seen a price and agreed to discuss terms. The stage guide has "
            "the exact exit criteria: https://intranet.example.com/sales/stages",
        ),
        "The Lisbon pipeline doubled since June. @{mention}, would you share what changed at "
        "the next all-hands? #sales_pipeline",
    ],
    "sales_q3_targets": [
        "Two weeks left in the quarter and we're at 86% of target. Every demo counts now. "
        "#sales_q3_targets",
        "**Q3 so far**:\n\n- 41 new customers\n- average deal 18% larger than in Q2\n- best "
        "month ever in August\n\nThank you all. #sales_q3_targets",
        Ask(
            "What counts towards the Q3 target, the signed date or the start date? "
            "#sales_q3_targets",
            "The signed date. A deal signed on 30 September counts for Q3, even if the "
            "contract starts in October.",
        ),
        "Benelux is ahead of its #sales_q3_targets, DACH needs one big deal. The per-region "
        "view is on the dashboard: https://intranet.example.com/sales/q3",
    ],
    "sales_deal_desk": [
        "Deal desk turnaround is now under 24 hours for standard discounts. Non-standard "
        "terms still take two days, so send them early. #sales_deal_desk",
        "Please attach the customer's redlines as a file instead of pasting them into the "
        "request. It saves the #sales_deal_desk a round trip.",
        "Shout-out to @{mention} for turning a three-year contract around in one afternoon. "
        "#sales_deal_desk",
    ],
    "eng_standing_desk": [
        "Tried a standing desk for a full week. My back is grateful, my calves less so. "
        "Anyone else? #eng_standing_desk",
        "Lisbon is ordering six more standing desks after the pilot. The sign-up sheet is "
        "with facilities. #eng_standing_desk",
    ],
    "eng_code_review": [
        "Norm we agreed on in the retro: review within one working day, and say which "
        "comments block the merge. #eng_code_review",
        "Small pull requests get better reviews. Ours are now 120 lines on average, down from "
        "400, and the time to merge halved. #eng_code_review",
        Ask(
            "How do you review a change in a part of the code you've never touched? "
            "#eng_code_review",
            "Read the tests first, then ask the author for a ten-minute walkthrough. Without "
            "context you end up with style comments only.",
        ),
        "My #eng_code_review checklist, the short version:\n\n- does it do what the ticket "
        "says\n- is it tested\n- will I understand it in a year\n\nEverything else is a "
        "suggestion.",
    ],
    "eng_incident_review": [
        "Review of Tuesday's login outage is published: 23 minutes, caused by an expired "
        "certificate. Every action item has an owner. "
        "https://intranet.example.com/eng/incidents/login-outage #eng_incident_review",
        "Blameless means blameless: an #eng_incident_review is about the system that let a "
        "mistake through, not the person who made it.",
        "Thanks @{mention} for a calm incident call last night. Clear roles, and an update "
        "every 15 minutes. #eng_incident_review",
        Ask(
            "Who decides when an incident needs a written review? #eng_incident_review",
            "The incident lead, using the severity table: every sev-1 and sev-2 gets one, a "
            "sev-3 only if it happens again within a month.",
        ),
    ],
    "eng_python": [
        "The data team's notebooks now run every night in CI, so a broken one shows up "
        "before the Monday report, not during it. #eng_python",
        "Replaced our last shell script with Python: 200 lines of bash became 80 lines with "
        "tests. #eng_python",
    ],
    "mkt_brand_refresh": [
        "The new logo files are in the brand portal. Please stop using the old blue one in "
        "slides from today: https://intranet.example.com/brand #mkt_brand_refresh",
        "Phase two of the #mkt_brand_refresh: new email signatures roll out on Monday. It's "
        "automatic, you don't need to do anything.",
        Ask(
            "Can we still use the old slide template for customer meetings this month? "
            "#mkt_brand_refresh",
            "Until the end of the month, yes. After that only the new template: it's in the "
            "brand portal with a one-page how-to.",
        ),
        "Sneak peek of the new colour palette: warmer, fewer greys, and it passes contrast "
        "checks. Thanks @{mention} for testing it on every screen in the office. "
        "#mkt_brand_refresh",
    ],
    "mkt_webinars": [
        "Next webinar: **Onboarding 500 people in a week**, Thursday the 14th at 16:00 CET, with a "
        "customer on stage. Please share it with your contacts. #mkt_webinars",
        "Last week's webinar: 312 sign-ups, 140 live viewers, 38 questions. The recording is "
        "already our most-watched video. #mkt_webinars",
        Ask(
            "Who would like to host a webinar for finance teams? We have a slot next month and a "
            "great customer story. #mkt_webinars",
            "I'll host it. Let's do a 30-minute prep call next week and invite the customer "
            "to the second one.",
        ),
        "#mkt_webinars tip: rehearse the first five minutes, not the whole hour. That's where "
        "people decide to stay.",
    ],
    "mkt_newsletter": [
        "The customer newsletter goes out on Thursday. Heard a good story on a call this "
        "month? Send it to @{mention} by Tuesday. #mkt_newsletter",
        "Newsletter open rate is up to 41% since we moved to one topic per issue. Less really "
        "is more. #mkt_newsletter",
        "This month's #mkt_newsletter in short:\n\n- the new reporting page\n- a customer "
        "story from Berlin\n- three tips for admins",
        Ask(
            "Should the internal newsletter go from weekly to every two weeks? #mkt_newsletter",
            "Yes: the survey says people read it more closely when there's less of it. Let's "
            "try every two weeks for a quarter and look at the numbers.",
        ),
    ],
    "hr_wellbeing": [
        "The yearly wellbeing survey closes on Friday. 71% have answered so far; it's "
        "anonymous and takes eight minutes. #hr_wellbeing",
        "New this year: two wellbeing days on top of your holidays. Take them when you need "
        "them, no reason required. #hr_wellbeing",
    ],
    "hr_hiring": [
        "We're hiring! Four open roles in Engineering and two in Customer Success, all on "
        "https://intranet.example.com/jobs. Referrals get a bonus after the probation period. "
        "#hr_hiring",
        "Interview training for new interviewers on the 12th, in Amsterdam and online. You "
        "need it before your first panel. #hr_hiring",
        Ask(
            "How soon should candidates hear back after a final interview? #hr_hiring",
            "Within three working days, even if the answer is 'not yet'. The recruiter sends "
            "it; the hiring manager decides by day two.",
        ),
        "Thanks @{mention} for turning a rejection into a good experience: the candidate "
        "wrote to thank us and applied for another role. #hr_hiring",
        "Time to hire is down from 45 to 31 days. Structured interviews and one panel instead "
        "of three made the difference. #hr_hiring",
    ],
    "hr_learning_budget": [
        "Reminder: everyone has a learning budget of €1,000 a year, and it doesn't roll over. "
        "Three months left to use yours. #hr_learning_budget",
        Ask(
            "Does a language course count towards the learning budget? #hr_learning_budget",
            "Yes, if it helps in your role, and Dutch, German or Portuguese for your office "
            "always does. Book it and claim it as a learning expense.",
        ),
        "Spent my #hr_learning_budget on a two-day facilitation course in Berlin. The most "
        "practical training I've had in years; happy to share my notes.",
        "New in the learning catalogue: short online courses on negotiation, data literacy "
        "and giving feedback. Free, so they don't touch your #hr_learning_budget.",
        "Learning budget requests under €300 no longer need a manager's approval. Book it and "
        "submit the receipt. #hr_learning_budget",
    ],
    "fin_expenses": [
        "Expense claims for last month need to be in by the 5th, or they move to next month's "
        "payroll. #fin_expenses",
        Ask(
            "Can I book a train ticket to Berlin myself, or does it have to go through the "
            "travel desk? #fin_expenses",
            "Book it yourself if it's cheaper than the travel desk's quote, and attach both to "
            "the claim. Anything over €250 still needs approval first.",
        ),
        "A photo of the receipt is enough now: no need to post the originals to Amsterdam "
        "anymore. #fin_expenses",
        "The mileage rate for this year is €0.23 per km, and the claim form already uses it. "
        "#fin_expenses",
        "**Why claims bounce**, top three:\n\n- no receipt\n- the wrong cost centre\n- a team "
        "dinner without the names of who was there\n\n#fin_expenses",
        "Thanks @{mention} for sorting out the card reimbursements for the whole Lisbon team "
        "in one go. #fin_expenses",
    ],
    "fin_budget_2027": [
        "Budget 2027 timeline: department drafts due 15 October, review with the leadership "
        "team in November, final numbers before Christmas. #fin_budget_2027",
        "The #fin_budget_2027 template is out. New this year: one tab for headcount, one for "
        "everything else. https://intranet.example.com/finance/budget-2027",
        Ask(
            "Do software subscriptions go in our team budget or the IT budget for 2027? "
            "#fin_budget_2027",
            "Team budget if only your team uses it, IT budget if it's used company-wide. When "
            "in doubt, put it under IT with a note.",
        ),
        "Office hours for budget questions every Wednesday, 14:00 to 15:00, until the "
        "deadline. Drop in, no appointment needed. #fin_budget_2027",
        "First drafts are in from five departments. Headcount requests add up to 23 roles and "
        "we have room for about 15, so expect a conversation. #fin_budget_2027",
        "Thanks @{mention} for the clearest draft so far: every line has its reason next to "
        "it. #fin_budget_2027",
    ],
    "cs_nps": [
        "NPS for Q3 is 47, up from 39. The biggest driver in the comments: faster answers from "
        "support. #cs_nps",
        "Reading the detractor comments from this round of #cs_nps today. Half of them mention "
        "the same export bug; engineering has it on the board.",
        Ask(
            "Do we follow up with every NPS detractor, or only the bigger accounts? #cs_nps",
            "Every detractor gets a personal reply within a week; accounts over 100 seats also "
            "get a call from their customer success manager.",
        ),
        "A customer gave us a 10 and wrote: 'onboarding felt like having an extra colleague "
        "for a month'. Well done @{mention}. #cs_nps",
    ],
    "cs_onboarding": [
        "The onboarding kickoff deck is shorter now: 12 slides instead of 30, and the customer "
        "talks in the first five minutes. #cs_onboarding",
        "Average time to first value for new customers is down to 19 days. The new welcome "
        "emails helped. #cs_onboarding",
        Ask(
            "How many training sessions do you plan for a new customer with 300 seats? "
            "#cs_onboarding",
            "Usually three: one for admins, one train-the-trainer and an open Q&A after two "
            "weeks. With more than that, attendance drops.",
        ),
    ],
    "cs_churn": [
        "Churn in Q3: three customers, all under 50 seats, all citing budget. None of them "
        "mentioned the product. #cs_churn",
        "This month's early-warning list is out: 11 accounts with falling logins. Owners are "
        "assigned; please add notes after your call. #cs_churn",
        Ask(
            "When is the best moment to talk renewal with a customer who is going quiet? #cs_churn",
            "Now, not at renewal time. Book a short check-in about their goals; the renewal "
            "conversation follows from that.",
        ),
        "Saved a renewal today by putting the customer in touch with @{mention} for a one-hour "
        "admin training. Sometimes that's all it takes. #cs_churn",
        "**What last quarter's lost customers taught us:**\n\n- usage stopped when their "
        "champion left\n- nobody else had admin rights\n- we noticed too late\n\nNew rule: two "
        "admins per account. #cs_churn",
    ],
    "ops_office_move": [
        "The Lisbon team moves to the fourth floor this Friday. Pack your desk by Thursday "
        "17:00; crates are by the lifts. #ops_office_move",
        "The Berlin desk move went smoothly. If your monitor or dock didn't follow you, tell "
        "the helpdesk and they'll bring it up. #ops_office_move",
    ],
    "ops_it_helpdesk": [
        "Laptop refresh for everyone with a 2022 machine starts next week. You'll get an email "
        "with a slot to swap it at the helpdesk. #ops_it_helpdesk",
        Ask(
            "How do I get a second monitor for working from home? #ops_it_helpdesk",
            "Order it with the IT request form under 'Home office'. It's shipped within a "
            "week, and it's yours to use for as long as you work here.",
        ),
        "Heads-up: Wi-Fi in the Berlin office is down for maintenance on Saturday from 08:00 "
        "to 12:00. #ops_it_helpdesk",
        "Password resets no longer need a ticket: use the self-service page and your phone. "
        "https://intranet.example.com/it/password #ops_it_helpdesk",
        "Thanks @{mention} for fixing the meeting room screens in Utrecht. All six rooms work "
        "with one cable again. #ops_it_helpdesk",
    ],
    "ops_bike_to_work": [
        "Bike to work month starts on Monday! Log your rides on the intranet; every 100 km "
        "plants a tree. #ops_bike_to_work",
        "Amsterdam now has a repair stand and a pump next to the bike storage. Free for "
        "everyone. #ops_bike_to_work",
        Ask(
            "Is there a bike lease scheme for the Berlin office too, or only in the "
            "Netherlands? #ops_bike_to_work",
            "Berlin has had its own scheme through payroll since last year. Details and the "
            "sign-up form are on the Berlin office page.",
        ),
        "Rainy ride in this morning, but the drying room in Utrecht saved the day. Who knew "
        "we had one? #ops_bike_to_work",
        "Lisbon hills update: @{mention} and I have cycled in three weeks in a row. E-bikes "
        "count, right? #ops_bike_to_work",
    ],
}

# Posts written inside a group, by any of its members, about what the group is for. A group
# not listed here gets its authors' department posts.
GROUP_POSTS: dict[str, list[str]] = {
    "Standing desks": [
        "Week two on the standing desk: I stand for the first hour after lunch and sit for "
        "the rest. The 3 pm slump is gone. #eng_standing_desk",
        "Amsterdam: the anti-fatigue mats have arrived and are stacked next to the printer on "
        "the second floor. Take one, they help more than I expected. #eng_standing_desk",
        Ask(
            "What height do you set your desk to when standing? I keep going back and forth "
            "between elbow height and a bit lower. #eng_standing_desk",
            "Elbow height with relaxed shoulders, top of the screen at eye level. Facilities "
            "has a one-minute check: https://intranet.example.com/facilities/desk-setup",
        ),
        "My #eng_standing_desk setup after a month:\n\n- desk at elbow height\n- a monitor "
        "arm, so the screen comes up too\n- a timer every 45 minutes to switch\n\nThe timer "
        "is what made it stick.",
        "Four desks in Berlin don't go up anymore (3.12 to 3.15). Facilities has the ticket; "
        "until then, grab one by the window. #eng_standing_desk",
        Ask(
            "Has anyone tried a balance board under their standing desk? Thinking of getting "
            "one for home. #eng_standing_desk",
            "I have, for a year. Great for 20 minutes at a time, tiring during calls. Start "
            "with a cheap one before you spend real money.",
        ),
        "Our stand-up is now an actual stand-up, and it finishes in 11 minutes on average. "
        "Thanks @{mention} for keeping time. #eng_standing_desk",
        "Reminder: a desk for your home office is reimbursed up to €400, with a receipt. "
        "Details: https://intranet.example.com/hr/home-office #eng_standing_desk",
    ],
    "Sales onboarding": [
        "Welcome to the three new Account Executives starting in Utrecht on Monday! Your "
        "first-week plan is pinned in this group. #sales_onboarding",
        Ask(
            "Where do I find the latest price list? The one in my welcome pack says 2025. "
            "#sales_onboarding",
            "Always use the pricing page on the intranet, never a downloaded copy; it's "
            "updated every quarter: https://intranet.example.com/sales/pricing",
        ),
        "Tip for your first month: sit in on at least five discovery calls before you run "
        "your own. Ask @{mention} to add you to the shadowing rota. #sales_onboarding",
        "**Day-one checklist** for new sellers:\n\n- CRM login and your territory\n- your "
        "booking link\n- intro call with your buddy\n- the ten most recent lost-deal "
        "notes\n\n#sales_onboarding",
        Ask(
            "How long did it take you to close your first deal? Week six and nothing signed "
            "yet, I'm starting to worry. #sales_onboarding",
            "Around four months for most of us; our average sales cycle is 70 days. Aim for "
            "three qualified opportunities first, the deals follow.",
        ),
        "The recording of Tuesday's demo training is up. Objection handling starts at 32:10. "
        "https://intranet.example.com/sales/training/demo-basics #sales_onboarding",
        "Role-play Friday in Berlin: bring a prospect scenario you're nervous about and we'll "
        "run it together. 14:00, room Spree. #sales_onboarding",
        "90 days in, three things I wish I'd known: product people happily join calls, the "
        "discount form is faster than email, and nobody expects you to know everything. "
        "#sales_onboarding",
    ],
    "Python guild": [
        "Lightning talk next Thursday: dataclasses versus plain dicts in our config code, "
        "with numbers. Ten minutes, 12:30, Amsterdam kitchen and online. #eng_python",
        Ask(
            "Are we moving the services to Python 3.13 this quarter, or waiting until the new "
            "year? #eng_python",
            "This quarter for internal tools; customer-facing services after the release "
            "freeze. The upgrade plan is on the platform wiki.",
        ),
        "TIL: `itertools.batched` replaced a 12-line helper in the export job. Small, but I'm "
        "happy. #eng_python",
        "Type hints in the billing module are at 90% coverage. Thanks @{mention} for the last "
        "push on the invoice models. #eng_python",
        "Guild reading list for this month:\n\n- the style guide's section on exceptions\n- "
        "our logging conventions\n- last month's talk on profiling\n\nWe discuss it in two "
        "weeks. #eng_python",
        Ask(
            "Which profiler do you reach for first when a request is slow? #eng_python",
            "The built-in cProfile, sorted by cumulative time. Nine times out of ten it finds "
            "the slow query or loop before you need anything fancier.",
        ),
        "Pairing offer: I have two free hours on Wednesdays for anyone who wants help writing "
        "their first tests. Grab a slot! #eng_python",
        "Reminder: new #eng_python scripts go in the tools repository with a README and a "
        "test, not on a shared drive. It saves the next person a day.",
    ],
    "Wellbeing at work": [
        "Lunch walk from the Utrecht office along the canal, every Tuesday at 12:15. Thirty "
        "minutes, no phones. Meet at reception. #hr_wellbeing",
        "The quiet room on the third floor in Amsterdam is open again: lamps instead of "
        "ceiling lights, bookable for 30 minutes at a time. #hr_wellbeing",
        Ask(
            "Does anyone know if the Lisbon office has a shower? I'd like to go for a run at "
            "lunch. #hr_wellbeing",
            "It does: two on the ground floor next to the bike storage. Bring your own towel; "
            "the lockers are free.",
        ),
        "Breathing break today at 15:00, ten minutes, led by @{mention}. Join from your desk; "
        "camera off is fine. #hr_wellbeing",
        "Recipe of the week from the Berlin kitchen: lentil soup for twelve for under €10. "
        "The card is on the fridge and here: https://intranet.example.com/wellbeing/recipes "
        "#hr_wellbeing",
        "Reminder that the employee assistance line is free, confidential and open day and "
        "night, for your family too. #hr_wellbeing",
        Ask(
            "How do you switch off after work when your laptop lives on the kitchen table? "
            "#hr_wellbeing",
            "Put it in a drawer or a bag at the end of the day: out of sight really helps. A "
            "'closing time' event in the calendar at 17:30 works for some of us too.",
        ),
        "Step challenge results: Lisbon wins again, with 11,400 steps a day on average. "
        "Amsterdam, we need to talk. #hr_wellbeing",
    ],
    "Partner program": [
        "Welcome to our new implementation partners! This is where we share rollout plans, "
        "known issues and go-live dates. Introduce yourselves below. #cs_onboarding",
        "The updated partner playbook is live: kick-off agenda, data import checklist and "
        "the go-live sign-off form. https://intranet.example.com/partners/playbook "
        "#cs_onboarding",
        Ask(
            "Who should partners contact when a customer's data import fails outside office "
            "hours? #cs_onboarding",
            "The support line, which is staffed around the clock. Mark the ticket 'partner' "
            "and it goes straight to the support engineer on call.",
        ),
        "Go-live last Friday for a 200-seat customer in Porto: a smooth import and two small "
        "configuration fixes. Thanks @{mention} for the late call. #cs_onboarding",
        "**Before kick-off**, please confirm with the customer:\n\n- who signs off the "
        "go-live\n- where the user list comes from\n- which language they start in\n\nIt "
        "saves a week later on. #cs_onboarding",
        "The monthly partner call moves to the first Thursday, 16:00 CET, so Lisbon can join "
        "without skipping lunch. #cs_onboarding",
        Ask(
            "Is there a sandbox we can use for customer training sessions? #cs_onboarding",
            "Yes: request a training sandbox with the partner form. It's reset every night, "
            "so don't keep anything there you need tomorrow.",
        ),
        "Three go-lives this month, all on time. The shared #cs_onboarding checklist is doing "
        "its job.",
    ],
    "Office move 2027": [
        "The shortlist for the new Utrecht office is down to two buildings, both within ten "
        "minutes of the station. Site visits next week. #ops_office_move",
        Ask(
            "Do we know yet how many desks the new Utrecht office needs? #ops_office_move",
            "The planning figure is 90 desks for 130 people, based on six months of "
            "occupancy sensor data.",
        ),
        "Floor plan draft v3 is in the group files. Main change: the quiet zone moves away "
        "from the kitchen. Comments by Friday, please. #ops_office_move",
        "Reminder: nothing about the move outside this group until the announcement in "
        "March. If anyone asks, we are 'reviewing workplace needs'. #ops_office_move",
        "Met the landlord today: move-in could be 1 April if the fit-out starts in November. "
        "@{mention} is checking the notice period of the current lease. #ops_office_move",
        "Move budget, roughly:\n\n- fit-out 60%\n- furniture 25%\n- IT and AV 10%\n- the "
        "move itself 5%\n\nFinance has agreed to the range. #ops_office_move",
        Ask(
            "Should we keep the old meeting room names in the new building? #ops_office_move",
            "Let's keep them: people know them, and the booking system and signs can carry "
            "them over. New rooms get names by vote after the announcement.",
        ),
        "Bike parking at the new place: 80 spaces indoors, with chargers. It was the number "
        "one request in the survey. #ops_office_move",
    ],
}

# Comments about a post's topic, keyed by its hashtag; a post draws these first, then
# GENERIC_COMMENTS, so most replies are about what the post says.
COMMENTS: dict[str, list[str]] = {
    "sales_onboarding": [
        "The shadowing rota helped me a lot in my first month. Highly recommended.",
        "Happy to be a buddy for one of the new starters, count me in.",
    ],
    "sales_pipeline": [
        "Updated mine just now. Two deals slipped to next quarter, sadly.",
        "Could we get a 'stalled' filter in the pipeline view? It would make this much easier.",
    ],
    "sales_q3_targets": [
        "Two more demos booked for next week. Let's get there!",
        "Is the dashboard updated daily or weekly?",
    ],
    "sales_deal_desk": [
        "The new request form is so much faster than email. Thank you!",
        "Good to know. Does this apply to renewals as well?",
    ],
    "eng_standing_desk": [
        "Switching every 45 minutes is the trick for me too.",
        "Tried one in Berlin last month and I'm not going back.",
    ],
    "eng_code_review": [
        "Marking comments as blocking or not changed our reviews more than anything else.",
        "+1. Smaller changes are also easier to review between meetings.",
    ],
    "eng_incident_review": [
        "Clear write-up. The timeline section is especially useful.",
        "Thanks for sharing this so openly. It's how we get better.",
    ],
    "eng_python": [
        "Nice! Would you show the before and after at the next guild meetup?",
        "I'm in. @{mention} you'll like this one.",
    ],
    "mkt_brand_refresh": [
        "The new colours look great on the big screens in Berlin.",
        "Where can I find the logo in white, for dark backgrounds?",
    ],
    "mkt_webinars": [
        "Shared it with three customers already. One of them wants to speak next time!",
        "Will the slides go out to attendees afterwards?",
    ],
    "mkt_newsletter": [
        "I have a story from a customer in Lisbon, sending it over today.",
        "One topic per issue works for me: I read the last one to the end.",
    ],
    "hr_wellbeing": [
        "Joined last week and it was the best half hour of my day.",
        "Could we do the same in Berlin? I'd happily organise it.",
    ],
    "hr_hiring": [
        "Just referred a former colleague for the support role.",
        "Structured interviews made my last panel much easier to run.",
    ],
    "hr_learning_budget": [
        "Good reminder, I still have most of mine left. Any course tips?",
        "I used mine for a data course last spring and can recommend it.",
    ],
    "fin_expenses": [
        "Thanks, clear. Is this in the finance FAQ too?",
        "Does this also apply to claims from before this month?",
    ],
    "fin_budget_2027": [
        "Our draft is nearly there. Is the headcount tab needed if we ask for no new roles?",
        "Thanks for keeping this so clear. Our draft goes in this week.",
    ],
    "cs_nps": [
        "Passing this on to the support team, they'll like reading it.",
        "Could we share the detractor themes at the next all-hands?",
    ],
    "cs_onboarding": [
        "We did the same with a customer in Utrecht; happy to compare notes.",
        "Can we add this to the partner playbook?",
    ],
    "cs_churn": [
        "Thanks for keeping an eye on this. Which accounts need help first?",
        "I'll add notes for my accounts after tomorrow's calls.",
    ],
    "ops_office_move": [
        "Thanks for the heads-up. Will the lockers move too?",
        "Looks good. Could the quiet zone get a few standing desks?",
    ],
    "ops_it_helpdesk": [
        "The helpdesk has been really quick lately, thank you.",
        "Thank you! Is there a self-service option for printer access too?",
    ],
    "ops_bike_to_work": [
        "Logged 42 km this week, only 58 to go for my tree.",
        "Count me in. Twenty minutes on the bike beats forty on the tram.",
    ],
}
GENERIC_COMMENTS: list[str] = [
    "Great point, thanks for sharing!",
    "+1, would love to hear more.",
    "This is really useful. Bookmarked.",
    "Interesting! @{mention} you should see this.",
    "Thanks for writing this down, it helps those of us in the other offices.",
    "Nice work, everyone.",
    "Good to know, thanks!",
    "Can we add this to the onboarding guide?",
]

# Company-wide posts written in the language of the office their author works in, so the
# demo shows posts' detected languages (and a feed limited to the languages one reads).
# Everything else the demo company writes is in English.
LOCAL_POSTS: dict[str, list[str]] = {
    "Utrecht": [
        "Wie fietst er donderdag mee naar de borrel in het nieuwe café aan de Oudegracht? We "
        "vertrekken om half zes bij de ingang.",
        "De koffiemachine op de tweede verdieping doet het weer. Dank aan iedereen die zo "
        "geduldig op de trap heeft gewacht!",
    ],
    "Berlin": [
        "Wer hat Lust, am Freitag nach Feierabend mit zum Tempelhofer Feld zu kommen? Wir "
        "treffen uns um 18 Uhr am Eingang Columbiadamm.",
        "Kleiner Hinweis: Die Spülmaschine in der Küche im dritten Stock ist repariert. Bitte "
        "die Tassen wieder dort abstellen und nicht ins Waschbecken.",
    ],
}

_TAG = re.compile(r"#(\w+)")


def tag_of(text: str) -> str:
    """The one hashtag a demo text carries."""
    match = _TAG.search(text)
    if match is None:
        raise ValueError(f"demo text without a hashtag: {text!r}")
    return match.group(1)


def department_posts(prefix: str) -> list[str]:
    """The posts of the department whose hashtags start with `prefix`."""
    return [text for tag, texts in POSTS.items() if tag.split("_")[0] == prefix for text in texts]


def all_posts() -> list[str]:
    return [text for texts in (*POSTS.values(), *GROUP_POSTS.values()) for text in texts]


# Posts that start like these are asked as questions; every other one of them (oldest first)
# gets this answer, accepted by the person who asked.
QUESTIONS: dict[str, str] = {
    text.start: text.answer for text in all_posts() if isinstance(text, Ask)
}
