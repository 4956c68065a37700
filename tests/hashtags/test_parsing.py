from __future__ import annotations

import unicodedata

import pytest

from hashtags.models import Hashtag, TaggedPost
from hashtags.parsing import normalise_hashtag
from posts.markup import render
from tests.factories import make_post

ZWSP, ZWNJ, ZWJ, RLO = "\u200b", "\u200c", "\u200d", "\u202e"


def tags_in(text: str) -> list[str]:
    return render(text).hashtags


# --- one tag, many spellings ----------------------------------------------------------------


def test_spellings_that_differ_only_in_case_are_one_tag():
    assert normalise_hashtag("Sales_Onboarding") == normalise_hashtag("sales_onboarding")
    assert tags_in("#Sales_Onboarding then #sales_onboarding and #SALES_ONBOARDING") == [
        "Sales_Onboarding"
    ]


@pytest.mark.django_db
def test_tag_keeps_the_first_spelling_for_display_and_collects_every_spelling(member):
    first = make_post(member, "Welcome to #Sales_Onboarding")
    second = make_post(member, "more #sales_onboarding tips")

    tag = Hashtag.objects.get()
    assert tag.name == "Sales_Onboarding"
    assert tag.slug == "sales_onboarding"
    assert set(TaggedPost.objects.values_list("content_object", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_german_sharp_s_and_umlauts_are_letters_and_fold_together():
    assert tags_in("Die #Größe zählt, #GRÖSSE auch, und #Übung.") == ["Größe", "Übung"]
    assert normalise_hashtag("Größe") == normalise_hashtag("GRÖSSE") == "grösse"


def test_composed_and_decomposed_umlauts_are_one_tag():
    decomposed = unicodedata.normalize("NFD", "Übung")
    assert decomposed != "Übung"

    assert normalise_hashtag(decomposed) == normalise_hashtag("Übung")
    assert len(tags_in(f"#{decomposed} and #Übung")) == 1


def test_hindi_tag_keeps_its_combining_marks():
    word = "हिन्दी_भाषा"  # virama and vowel signs are combining marks (Mn/Mc)
    assert any(unicodedata.category(c).startswith("M") for c in word)

    assert tags_in(f"नमस्ते #{word} दोस्तों") == [word]


def test_arabic_tag_is_found():
    assert tags_in("مرحبا #التسويق_الرقمي اليوم") == ["التسويق_الرقمي"]


def test_underscore_joins_department_and_topic_into_one_tag():
    assert tags_in("#dept_topic and #sales_q3_plan") == ["dept_topic", "sales_q3_plan"]


@pytest.mark.parametrize(
    "text",
    [
        "#launch.",
        "#launch,",
        "#launch!",
        "#launch?",
        "#launch:",
        "#launch;",
        "(#launch)",
        "#launch_",
        "“#launch”",
        "#launch…",
    ],
)
def test_trailing_punctuation_is_not_part_of_the_tag(text):
    assert tags_in(text) == ["launch"]


@pytest.mark.parametrize(
    "text",
    [
        "https://x.com/a#frag",
        "see <https://x.com/docs#section>",
        "[docs](https://x.com/docs#install)",
        "page#anchor",
        "/#/route",
        "mail a@b.com#x",
        "&#35;entity",
        "it&#39;s",
        "##double",
    ],
)
def test_no_tags_in_urls_anchors_or_entities(text):
    assert tags_in(text) == []


def test_url_fragment_is_not_a_tag_but_a_tag_after_the_url_is():
    assert tags_in("https://x.com/a#frag #real") == ["real"]


@pytest.mark.parametrize(
    "text",
    [
        "`#inline_code`",
        "```\n#fenced\n```",
        "```python\n# comment\n#not_a_tag = 1\n```",
        "~~~\n#tilde_fence\n~~~",
        "    #indented_code",
    ],
    ids=["code-span", "fence", "fence-with-language", "tilde-fence", "indented"],
)
def test_no_tags_in_code(text):
    assert tags_in(text) == []


def test_tags_in_raw_html_attributes_are_not_tags():
    html = render('<a href="https://x.com/#frag" title="#title">link</a> <img alt="#alt">')

    assert html.hashtags == []
    assert 'href="https://x.com/#frag"' in html.html  # the link itself survives intact


def test_mentions_in_raw_html_attributes_are_not_mentions():
    markup = render('<a title="@mia.member" href="https://x.com">y</a>', resolve_mention=str)

    assert markup.mentions == []


@pytest.mark.parametrize("text", ["#123", "#2024", "#1_000", "#_"])
def test_a_tag_needs_at_least_one_letter(text):
    assert tags_in(text) == []


def test_digits_with_letters_are_a_tag():
    assert tags_in("#2024plans") == ["2024plans"]


def test_hash_heading_needs_a_space_so_a_tag_at_line_start_stays_a_tag():
    rendered = render("# Quarterly update\n\n#standing_desk rocks")

    assert "<h1>Quarterly update</h1>" in rendered.html
    assert rendered.hashtags == ["standing_desk"]


def test_zero_width_space_and_rtl_override_are_stripped():
    assert tags_in(f"#sales{ZWSP}_onboarding") == ["sales_onboarding"]
    assert tags_in(f"#evil{RLO}txt.exe") == ["eviltxt"]
    assert normalise_hashtag(f"Sales{ZWSP}_Onboarding") == "sales_onboarding"


def test_zwnj_and_zwj_are_kept_inside_words():
    persian = f"می{ZWNJ}خواهم"  # "I want": ZWNJ is part of the correct spelling
    malayalam = f"ന്{ZWJ}"  # a chillu letter written with ZWJ, inside a word
    assert tags_in(f"#{persian} now") == [persian]
    assert tags_in(f"#a{malayalam}b") == [f"a{malayalam}b"]


def test_trailing_joiners_are_not_part_of_the_tag():
    assert tags_in(f"#word{ZWJ} next #other{ZWNJ}") == ["word", "other"]


def test_the_same_tag_typed_twice_in_a_post_is_recorded_once():
    assert tags_in("#lunch #Lunch #LUNCH") == ["lunch"]
