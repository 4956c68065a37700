from __future__ import annotations

import factory
from django.utils import timezone

from people.models import Department, Follow, Location, User
from posts import services as post_services
from posts.models import Post

PASSWORD = "correct-horse-battery"  # noqa: S105


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Department {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"City {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    # No job title unless a test gives one: a random one ("Special effects artist", "Sales
    # executive", "Market researcher"...) made searches for "spec", "sales" or "mar" find the
    # viewer or a bystander now and then, failing about one run in ten.
    title = ""
    password = factory.django.Password(PASSWORD)
    # Seen just now, so requests in tests do not spend a query recording the visit; digest
    # tests set it where the moment matters.
    last_seen_at = factory.LazyFunction(timezone.now)


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    followee = factory.SubFactory(UserFactory)


def make_post(author: User, body: str = "A post", *, created_at=None, **kwargs) -> Post:
    """A post made the way users make them: through the service (hashtags, mentions...)."""
    post = post_services.create_post(author=author, body=body, **kwargs)
    if created_at is not None:
        Post.objects.filter(pk=post.pk).update(created_at=created_at)
        post.tagged_items.update(created_at=created_at)
        post.created_at = created_at
    return post


def now():
    return timezone.now()


def image_upload(
    name: str = "photo.png", *, size: tuple[int, int] = (40, 30), fmt: str = "PNG", exif=None
):
    """A small real image, as a browser would upload it."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    extra = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, "teal").save(buffer, format=fmt, **extra)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg"}.get(fmt, "application/octet-stream")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)
