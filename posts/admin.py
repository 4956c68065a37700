from django.contrib import admin

from posts.models import Comment, Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "created_at", "like_count", "comment_count", "is_question"]
    list_filter = ["is_question"]
    list_select_related = ["author"]
    search_fields = ["body", "author__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["author"]
    # Text and hashtags change only through posts.services, which keeps body_html and the
    # hashtag index rows in step with the text; so does the accepted answer (the inbox row
    # of its author follows it). Read-only, it is also not a menu of every comment there is.
    readonly_fields = [
        "body",
        "created_at",
        "edited_at",
        "like_count",
        "comment_count",
        "is_question",
        "accepted_answer",
        "answered_at",
    ]
    exclude = ["mentions", "hashtags"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "post", "created_at"]
    list_select_related = ["author"]
    raw_id_fields = ["author", "post"]
    readonly_fields = ["body", "created_at", "edited_at"]
    exclude = ["mentions"]
