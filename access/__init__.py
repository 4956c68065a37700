"""THE access layer (ARCHITECTURE.md rule 1): who may see what, and who may do what.

It sits just above the models and imports nothing else of the project. Every read path asks
it (feeds, profiles, group and hashtag pages, search, the inbox, digests, counts, trending,
suggestions, images); every service asks it before acting.

- `access.viewer`: the viewer's standing and ties (`Viewer.of`, `Viewer.for_users`).
- `access.rules`, `access.terms`: each rule written once, read as a `Q`, a per-object check
  and a SQL fragment.
- `access.groups`, `access.posts`, `access.people`, `access.hashtags`: what may be seen.
- `access.actions`: what may be done.
"""
