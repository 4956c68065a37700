from __future__ import annotations

from celery import shared_task

from people import services


@shared_task(acks_late=True, ignore_result=True)
def forget_old_sign_in_failures() -> int:
    return services.forget_old_sign_in_failures()
