"""Events of the growth products: campaign leaderboards, wallets, and fraud flags (the last kept
in the log for the leaderboard worker, delivered to no client)."""

from __future__ import annotations

from lakeside.domain.events import Event, declare, shared

WALLET_OWNER = "the wallet's owner"


@declare(
    "campaign",
    "leaderboard",
    to="conversation",
    addressed_to="the all-staff group of the campaign's organization",
)
class CampaignLeaderboard(Event):
    """`{campaign_id, organization_id}`: the board moved (at most every 2 s per campaign); fetch it
    again"""

    campaign_id: int
    organization_id: int


@shared
class WalletMove(Event):
    """A transfer into or out of a user's wallet, and the wallet's balance after it."""

    transaction_id: int
    amount_fen: int
    balance_fen: int
    kind: str


@declare("wallet", "credited", to="users", addressed_to=WALLET_OWNER)
class WalletCredited(WalletMove):
    """`{transaction_id, amount_fen, balance_fen, kind}` — e.g. a sign-up red packet"""


@declare("wallet", "debited", to="users", addressed_to=WALLET_OWNER)
class WalletDebited(WalletMove):
    """`{transaction_id, amount_fen, balance_fen, kind}`: the wallet paid `amount_fen` (no product
    path debits a wallet today)"""


@declare(
    "fraud_flag",
    "changed",
    to="nobody",
    addressed_to="nobody: kept in the log for the leaderboard worker, never delivered",
)
class FraudFlagChanged(Event):
    """`{campaign_id, user_id}`: a flag on the user was raised or decided; their friends' scores
    are due again"""

    campaign_id: int
    user_id: int
