"""moto's server, answering one request at a time.

DynamoDB applies each conditional write and each transaction atomically. moto's
threaded server does not: two TransactWriteItems can both pass the same
`version = :expected` condition, and a cancelled transaction restores a copy of
the whole table taken before a concurrent one was applied. Either way a write
reported as applied is lost, which is what our concurrency tests look for.
Serialising requests gives back DynamoDB's guarantee; connections stay
keep-alive (the bench measures warm ones). Arguments are moto_server's.
"""

import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_one_at_a_time = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _serialised(self, environ, start_response):
    with _one_at_a_time:
        # moto builds the whole body inside the call, so the state change
        # happens under the lock.
        return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _serialised

if __name__ == "__main__":
    server.main()
