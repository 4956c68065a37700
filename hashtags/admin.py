from django.contrib import admin

from hashtags.models import Hashtag, HashtagFollow


@admin.register(Hashtag)
class HashtagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug"]


@admin.register(HashtagFollow)
class HashtagFollowAdmin(admin.ModelAdmin):
    list_display = ["user", "hashtag", "created_at"]
    list_select_related = ["user", "hashtag"]
    raw_id_fields = ["user", "hashtag"]
