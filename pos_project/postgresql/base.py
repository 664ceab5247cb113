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

Integers out of range: Django hands psycopg an integer field's value as the
type of its column (`Int2`, `Int4`, `Int8`), and bound on the server psycopg
sends it in binary, packed by psycopg_binary's dumpers. Those keep the low
bits of a value too large for the type: 2**31 went into an `integer` column
as -2**31, 2**32 + 7 as 7, and 2**63 raised OverflowError (a 500). Written
into the SQL as text (client-side binding), PostgreSQL refuses such a value
with "integer out of range". The dumpers below check the range first and
raise that same error (a `DataError` to Django), so a value is never stored
other than as it was given. Lookups never get here with such a value: Django
answers them before querying (`IntegerFieldOverflow`). Forms and serializers
bound every integer a person or program sends (pos_project/bounds.py), so the
error is a last line, not a message anyone should see.
"""

import struct

from django.db.backends.postgresql import base, features, operations
from django.utils.functional import cached_property
from psycopg import errors, postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types.numeric import Int2, Int4, Int8

MAX_QUERY_PARAMS = 2**16 - 1


class _CheckedIntBinaryDumper(Dumper):
    """An integer packed in binary for its PostgreSQL type, or PostgreSQL's own
    "out of range" error when it does not fit."""

    format = Format.BINARY
    type_name = ""
    packer = None

    def __init__(self, cls, context=None):
        super().__init__(cls, context)
        self.oid = postgres.types[self.type_name].oid
        bits = 8 * self.packer.size
        self.low, self.high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def dump(self, obj):
        if not self.low <= obj <= self.high:
            raise errors.NumericValueOutOfRange(
                f'value "{int(obj)}" is out of range for type {self.type_name}'
            )
        return self.packer.pack(obj)


class _CheckedInt2Dumper(_CheckedIntBinaryDumper):
    type_name = "int2"
    packer = struct.Struct("!h")


class _CheckedInt4Dumper(_CheckedIntBinaryDumper):
    type_name = "int4"
    packer = struct.Struct("!i")


class _CheckedInt8Dumper(_CheckedIntBinaryDumper):
    type_name = "int8"
    packer = struct.Struct("!q")


CHECKED_DUMPERS = {
    Int2: _CheckedInt2Dumper,
    Int4: _CheckedInt4Dumper,
    Int8: _CheckedInt8Dumper,
}


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

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        for cls, dumper in CHECKED_DUMPERS.items():
            connection.adapters.register_dumper(cls, dumper)
        return connection
