"""The growth engine's queries, one module per module of ``services/growth/`` and named alike:
activity, analytics, ledger, referrals, leaderboard and campaigns (fraud flags among them)."""
