"""tools/backup.py for real: `backup` runs as a separate process against the test database
(rows committed: transaction=True) and the media storage, `restore` goes into a fresh database
made here next to it, and what comes back is compared with what went in: row counts, and
every media file byte for byte, on local disk and in an S3 bucket (moto in server mode).

pg_dump and pg_restore are the machine's (PATH, /usr/lib/postgresql/*/bin) or the embedded
server's wheel; the script picks one at least as new as the server. Without any, the tests
are skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import dj_database_url
import psycopg2
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from people.models import User
from posts.models import Post, PostImage
from posts.services import add_comment
from tests.factories import UserFactory, image_upload, make_post
from tests.servers import database_url
from tools import backup as backup_tool

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (
            backup_tool.tool_candidates("pg_dump", None)
            and backup_tool.tool_candidates("pg_restore", None)
        ),
        reason="pg_dump/pg_restore are not installed (Debian: postgresql-client)",
    ),
]

ROOT = Path(settings.BASE_DIR)
TABLES = ["people_user", "posts_post", "posts_postimage", "posts_comment", "django_migrations"]


def url_for(name: str) -> str:
    """A postgres:// URL on the test database's server, as the test process connects."""
    return database_url(name)


def maintenance_connection():
    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )
    conn.autocommit = True
    return conn


@pytest.fixture
def restore_database():
    """An empty database beside the test database (<name>_restore), dropped afterwards."""
    name = dj_database_url.parse(settings.DATABASE_URL)["NAME"] + "_restore"
    conn = maintenance_connection()
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield url_for(name)
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def counts(url: str) -> dict[str, int]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            found = {}
            for table in TABLES:
                cursor.execute(f"SELECT count(*) FROM {table}")
                found[table] = cursor.fetchone()[0]
            return found
    finally:
        conn.close()


def execute(url: str, sql: str) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def changed_posts(url: str) -> int:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM posts_post WHERE body = 'changed'")
            return cursor.fetchone()[0]
    finally:
        conn.close()


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def script_env(**overrides: str) -> dict[str, str]:
    """The site's environment for the script: the test database, no object store unless a
    test gives one (a developer's shell may have MEDIA_S3_* or BACKUP_DATABASE_URL set)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MEDIA_S3_") and name not in {"BACKUP_DATABASE_URL", "MEDIA_ROOT"}
    }
    env.update(DATABASE_URL=url_for(connection.settings_dict["NAME"]), SECRET_KEY="backup-test")
    env.update(overrides)
    return env


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "tools/backup.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def the_backup(output: Path) -> Path:
    (directory,) = output.iterdir()
    return directory


@pytest.fixture
def network():
    """A few people, posts with images, a comment and an avatar, committed."""
    ana, ben, cas = (UserFactory(username=name) for name in ("ana", "ben", "cas"))
    make_post(ana, "Our new office #move", images=[image_upload("office.png")])
    second = make_post(
        ben, "Two views", images=[image_upload("a.png"), image_upload("b.jpg", fmt="JPEG")]
    )
    make_post(cas, "Words only")
    add_comment(author=ana, post=second, body="Nice view")
    cas.avatar.save("me.png", ContentFile(image_upload("me.png").read()))
    return ana, ben, cas


def test_a_backup_restores_into_a_fresh_database_with_every_row_and_media_file(
    network, restore_database, tmp_path
):
    media = Path(settings.MEDIA_ROOT)
    stored = files_under(media)
    assert len(stored) == 4  # three post images and an avatar

    made = succeeded(
        run("backup", "--output", str(tmp_path / "backups"), env=script_env(MEDIA_ROOT=str(media)))
    )

    directory = the_backup(tmp_path / "backups")
    assert directory.name.startswith("esn-")
    manifest = json.loads((directory / "manifest.json").read_text())
    assert {entry["name"] for entry in manifest["media"]["files"]} == set(stored)
    assert "media: 4 files" in made

    restored_media = tmp_path / "restored-media"
    restored = succeeded(
        run(
            "restore", str(directory), "--database-url", restore_database,
            env=script_env(MEDIA_ROOT=str(restored_media)),
        )
    )  # fmt: skip

    assert counts(restore_database) == counts(url_for(connection.settings_dict["NAME"]))
    assert counts(restore_database)["posts_postimage"] == PostImage.objects.count() == 3
    assert files_under(restored_media) == stored
    # The rows point at the files that came back.
    names = {image.image.name for image in PostImage.objects.all()}
    names.add(User.objects.get(username="cas").avatar.name)
    assert names == set(stored)
    assert "media: 4 files" in restored and "4 written" in restored


def test_restore_refuses_a_database_that_holds_tables_without_yes(
    network, restore_database, tmp_path
):
    media = str(settings.MEDIA_ROOT)
    succeeded(
        run("backup", "--output", str(tmp_path / "backups"), env=script_env(MEDIA_ROOT=media))
    )
    directory = str(the_backup(tmp_path / "backups"))
    target_media = tmp_path / "target-media"
    env = script_env(MEDIA_ROOT=str(target_media))
    succeeded(run("restore", directory, "--database-url", restore_database, env=env))
    # Something happens to the restored site after that...
    execute(restore_database, "UPDATE posts_post SET body = 'changed'")

    refused = run("restore", directory, "--database-url", restore_database, env=env)

    assert refused.returncode == 2
    assert "holds" in refused.stderr and "--yes" in refused.stderr
    assert changed_posts(restore_database) == 3  # nothing was touched

    succeeded(run("restore", directory, "--database-url", restore_database, "--yes", env=env))
    assert changed_posts(restore_database) == 0
    assert counts(restore_database) == counts(url_for(connection.settings_dict["NAME"]))


def test_a_media_file_damaged_in_the_backup_fails_the_restore_naming_it(network, tmp_path):
    media = str(settings.MEDIA_ROOT)
    made = run(
        "backup",
        "--only",
        "media",
        "--output",
        str(tmp_path / "b"),
        env=script_env(MEDIA_ROOT=media),
    )
    succeeded(made)
    directory = the_backup(tmp_path / "b")
    manifest = json.loads((directory / "manifest.json").read_text())
    assert "database" not in manifest
    victim = manifest["media"]["files"][0]["name"]
    # One byte of that file's data flipped: the tar stays readable, the content is wrong.
    with tarfile.open(directory / "media.tar") as tar:
        position = tar.getmember(victim).offset_data + 20
    archive = bytearray((directory / "media.tar").read_bytes())
    archive[position] ^= 0xFF
    (directory / "media.tar").write_bytes(bytes(archive))

    result = run(
        "restore", str(directory), "--only", "media", env=script_env(MEDIA_ROOT=str(tmp_path / "m"))
    )

    assert result.returncode == 1
    assert f"media: {victim} reads back with another sha256" in result.stderr


def test_media_in_an_s3_bucket_is_backed_up_and_restored_into_another_bucket(
    s3_media, network, tmp_path
):
    def objects(bucket: str) -> dict[str, bytes]:
        listing = s3_media.client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {
            item["Key"]: s3_media.client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listing
        }

    stored = objects(s3_media.bucket)
    assert len(stored) == 4
    assert not Path(settings.MEDIA_ROOT).exists()  # the images went to the bucket

    made = succeeded(
        run(
            "backup",
            "--only",
            "media",
            "--output",
            str(tmp_path / "b"),
            env=script_env(**s3_media.env),
        )
    )
    assert f"from bucket {s3_media.bucket}" in made

    other = f"{s3_media.bucket}-restored"
    s3_media.client.create_bucket(Bucket=other)
    env = script_env(**{**s3_media.env, "MEDIA_S3_BUCKET": other})
    directory = str(the_backup(tmp_path / "b"))
    succeeded(run("restore", directory, "--only", "media", env=env))
    assert objects(other) == stored

    # Once the bucket holds files, restoring over them needs --yes; unchanged ones stay.
    refused = run("restore", directory, "--only", "media", env=env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    again = succeeded(run("restore", directory, "--only", "media", "--yes", env=env))
    assert "0 written, 4 already there" in again
    assert objects(other) == stored


def test_posts_without_images_back_up_as_an_empty_media_archive(tmp_path, settings):
    make_post(UserFactory(), "Just words")
    made = succeeded(
        run(
            "backup",
            "--output",
            str(tmp_path / "b"),
            env=script_env(MEDIA_ROOT=str(tmp_path / "none")),
        )
    )
    assert "media: 0 files" in made
    manifest = json.loads((the_backup(tmp_path / "b") / "manifest.json").read_text())
    assert manifest["media"]["files"] == []
    assert manifest["database"]["tables"] >= len(TABLES)
    assert Post.objects.count() == 1
