"""One module per action group: the rules, the transaction, the events.

Naming follows Zulip's contract: ``check_*`` validates and may fail, ``do_*`` changes data in one
transaction and emits events, ``access_*`` fetches an object and checks the caller's right in one
call, ``get_*``/``list_*`` read.
"""
