"""Allow one ledger entry per dispute and index entries by type and status

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 15:43:31.374266
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entries_type_status_created",
            ["type", "status", "created_at"],
            unique=False,
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_ledger_entries_account_id_stripe_dispute_id"),
            ["account_id", "stripe_dispute_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_ledger_entries_account_id_stripe_dispute_id"), type_="unique"
        )
        batch_op.drop_index("ix_ledger_entries_type_status_created")
