"""The newsroom's roles, as Django groups with model permissions.

``create_editor NAME --role …`` puts an account in one of them. A pattern
``"app.*"`` means every permission of that app, ``"*"`` every permission, so a
role keeps up when an app adds a model: :func:`sync_roles` runs in the data
migration and again after every ``migrate`` (``post_migrate``).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

REPORTER = "Reporter"
EDITOR = "Editor"
COMMENT_MODERATOR = "Comment moderator"
ADMINISTRATOR = "Administrator"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Writes and edits their own drafts and submits them; never publishes
    # (no publish_article) and never edits others' (no edit_others_article).
    REPORTER: [
        "articles.add_article",
        "articles.change_article",
        "articles.view_article",
        "articles.view_section",
        "articles.view_tag",
        "articles.add_tag",
        "articles.view_author",
        "articles.add_byline",
        "articles.change_byline",
        "articles.delete_byline",
        "articles.view_byline",
        "articles.add_previewlink",
        "articles.view_previewlink",
        "media.add_image",
        "media.change_image",
        "media.view_image",
    ],
    # Every story: edit, publish, schedule, correct, curate the fronts; and
    # what readers search for (the report), a lead for the desk.
    EDITOR: [
        "articles.*",
        "media.*",
        "comments.view_comment",
        "search.view_searchquery",
    ],
    # Only the comment queues.
    COMMENT_MODERATOR: ["comments.*"],
    # Everything, accounts and settings included.
    ADMINISTRATOR: ["*"],
}

ROLE_CHOICES = {
    "reporter": REPORTER,
    "editor": EDITOR,
    "moderator": COMMENT_MODERATOR,
    "administrator": ADMINISTRATOR,
}


def sync_roles(apps=None) -> None:
    """Create the groups and give each exactly its role's permissions."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    every = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for name, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = {
            pk
            for label, pk in every.items()
            if any(fnmatchcase(label, pattern) for pattern in patterns)
        }
        group.permissions.set(wanted)
