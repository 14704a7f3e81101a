"""moto's server, answering one request at a time, with transactions that
roll back only what they touched.

DynamoDB applies each conditional write and each transaction atomically. moto's
threaded server does not: two TransactWriteItems can both pass the same
`version = :expected` condition, and a cancelled transaction restores a copy of
the whole table taken before a concurrent one was applied. Either way a write
reported as applied is lost, which is what our concurrency tests look for.
Serialising requests gives back DynamoDB's guarantee; connections stay
keep-alive (the bench measures warm ones).

moto also deep-copies every table a transaction touches, before it starts, to
restore it if the transaction is cancelled: with items of hundreds of KB (the
claim-check tests) each transaction then took seconds. With requests
serialised, saving and restoring the transaction's own items is enough, and is
what is done here. Arguments are moto_server's, and `--until-stdin-closes`: the
server exits when its standard input closes, so a test process that started it
takes it along however that process ends.
"""

import copy
import os
import sys
import threading

from moto import server
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_one_at_a_time = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _serialised(self, environ, start_response):
    with _one_at_a_time:
        # moto builds the whole body inside the call, so the state change
        # happens under the lock.
        return _dispatch(self, environ, start_response)


class _NoTableCopies:
    """The `copy` module as moto's DynamoDB models see it: whole tables are
    not deep-copied (their items are saved below instead)."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


_transact = DynamoDBBackend.transact_write_items


def _transact_rolling_back_items(self, transact_items):
    saved = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = self.tables.get(op.get("TableName"))
        if table is None:
            continue
        attributes = op.get("Item") or op.get("Key") or {}
        try:
            hash_key, range_key = self.get_keys_value(table, attributes)
        except Exception:
            continue  # moto refuses the transaction itself, before any write
        item = table.get_item(hash_key, range_key)
        saved.append((table, hash_key, range_key, copy.deepcopy(item)))
    try:
        return _transact(self, transact_items)
    except Exception:
        for table, hash_key, range_key, item in reversed(saved):
            if range_key is None:
                place, slot = table.items, hash_key
            else:
                place, slot = table.items.setdefault(hash_key, {}), range_key
            if item is None:
                place.pop(slot, None)
            else:
                place[slot] = item
        raise


DomainDispatcherApplication.__call__ = _serialised
dynamodb_models.copy = _NoTableCopies()
DynamoDBBackend.transact_write_items = _transact_rolling_back_items


def _exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


if __name__ == "__main__":
    if "--until-stdin-closes" in sys.argv:
        sys.argv.remove("--until-stdin-closes")
        threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    server.main()
