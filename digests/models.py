# Notification preferences, site defaults and digest ledgers arrive with the notifications
# issue. The seam other apps call today is digests.services.
