import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
application = get_wsgi_application()

# What is loaded by now (Django, our apps, the URL conf) lives as long as the process. Frozen,
# the cyclic garbage collector stops walking it on every full collection: those walks were
# 40-50 ms pauses, 1 request in 75, on the home feed (bench/feed.py).
gc.freeze()
