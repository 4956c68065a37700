from django.contrib import admin
from django.shortcuts import redirect

from twofactor.models import TwoStepPolicy


@admin.register(TwoStepPolicy)
class TwoStepPolicyAdmin(admin.ModelAdmin):
    fields = ["require_for_admins"]

    def has_add_permission(self, request):
        return not TwoStepPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One row: the list is just a door to it (saved once, so the change page exists).
        policy = TwoStepPolicy.current()
        if policy._state.adding:
            policy.save()
        return redirect("admin:twofactor_twosteppolicy_change", policy.pk)
