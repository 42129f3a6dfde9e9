"""Token authentication in one hand-written statement.

DRF's TokenAuthentication finds the token and its user with the ORM, compiled on every
request: ~0.5 ms of Python on each API call, for one SELECT. This one sends the same SELECT
(the token joined to its user), written once per process, and builds both rows from it. It
refuses what DRF's refuses, with the same messages: an unknown (or deleted) token, an
inactive user. Nothing outlives the request: the token is looked up on every call. The same
statement says whether the user is in the studio admins group and whether they have an agent
profile, so the permission checks (studio.access.is_studio_admin, api.permissions) need no
query of their own on this request's user.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.permissions import HAS_AGENT_PROFILE, agent_profile_sql
from studio.access import IN_ADMINS_GROUP, admins_group_sql, remember
from studio.rawsql import Columns


class TokenAuthentication(authentication.TokenAuthentication):
    _statements: dict[tuple[str, str], tuple[str, list[str], Columns, Columns]] = {}

    def authenticate_credentials(self, key):
        if "\x00" in key:  # PostgreSQL refuses NUL in a string, and no token has one
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token_model = self.get_model()
        connection = connections[router.db_for_read(token_model)]
        sql, params, tokens, users = self._statement(connection, token_model)
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        split = len(tokens)
        user = users.build(connection, row[split:-2])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        remember(user, IN_ADMINS_GROUP, row[-2])
        remember(user, HAS_AGENT_PROFILE, row[-1])
        token = tokens.build(connection, row[:split])
        token.user = user
        return (user, token)

    @classmethod
    def _statement(cls, connection, token_model) -> tuple[str, list[str], Columns, Columns]:
        statement = cls._statements.get((connection.alias, token_model._meta.label))
        if statement is None:
            user_model = get_user_model()
            quote = connection.ops.quote_name
            user = token_model._meta.get_field("user")
            user_id = f"u.{quote(user_model._meta.pk.column)}"
            in_group, params = admins_group_sql(user_id, connection)
            tokens, users = Columns(token_model, "t"), Columns(user_model, "u")
            sql = (
                f"SELECT {tokens.select(connection)}, {users.select(connection)}, {in_group}, "
                f"{agent_profile_sql(user_id, connection)} "
                f"FROM {quote(token_model._meta.db_table)} t "
                f"JOIN {quote(user_model._meta.db_table)} u "
                f"ON u.{quote(user.target_field.column)} = t.{quote(user.column)} "
                f"WHERE t.{quote(token_model._meta.get_field('key').column)} = %s"
            )
            statement = (sql, params, tokens, users)
            cls._statements[(connection.alias, token_model._meta.label)] = statement
        return statement
