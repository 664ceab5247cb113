"""PostgreSQL with server-side parameter binding and prepared statements.

Django's PostgreSQL backend binds parameters on the client by default: psycopg
writes every value into the SQL text, so PostgreSQL parses and plans each
statement from scratch. With server-side binding (Django's
`server_side_binding` option, on here unless POSTGRES_SERVER_SIDE_BINDING is
false) the SQL and its values travel apart, and psycopg prepares a statement
once a connection has run it five times: from then on PostgreSQL reuses the
parse and, where it can, the plan. A till's scan and checkout run the same few
dozen statements again and again on kept-open connections (CONN_MAX_AGE), so
most of them are prepared after the first few sales (docs/performance.md).

Bound values are parameters, and PostgreSQL takes at most 65,535 of them in
one statement. Django batches `bulk_create` and `bulk_update` by that limit
only for backends that declare it (SQLite, Oracle); here PostgreSQL declares
it too when it binds on the server. (Django inserts many rows through
UNNEST, one array per column, so bulk inserts rarely come near it; a
`bulk_update` of a few thousand rows does.)
"""

from django.db.backends.postgresql import base, features, operations
from django.utils.functional import cached_property

MAX_QUERY_PARAMS = 2**16 - 1


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        return MAX_QUERY_PARAMS if self.uses_server_side_binding else None


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        limit = self.connection.features.max_query_params
        if limit is None or not fields:
            return super().bulk_batch_size(fields, objs)
        # Twice the fields: `bulk_update` passes its fields plus the primary
        # key twice, but binds two values per row and field (a CASE's WHEN
        # and THEN) and one more per row (the IN list). Inserting, each row
        # binds one value per field, so half the limit is still thousands of rows.
        return max(limit // (2 * len(fields)), 1)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
