"""The sink registry: issuances (签发批次), allocations of serial ranges, and the public ledger.

Invariants live in the database as well as in the services:
- issuance serial blocks never overlap (exclusion constraint on PostgreSQL, trigger on SQLite);
- active serial ranges (reserved or retired) never overlap, so no serial is held twice;
- reserved_kg + retired_kg <= issued quantity for every issuance (CHECK);
- the drafter of an issuance never approves it (CHECK);
- ledger entries are append-only: numbered without gaps, each hashed over its canonical body.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.projects import SinkProject


class IssuanceStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    ON_SALE = "on_sale"
    CLOSED = "closed"


class Delivery(enum.StrEnum):
    VERIFIED = "verified"  # measured and verified (已核证): delivered tonnes
    PROJECTED = "projected"  # ex-ante (预估): expected in future years


class AllocationState(enum.StrEnum):
    RESERVED = "reserved"  # held for a pending order
    RETIRED = "retired"  # 注销: used for a beneficiary
    EXPIRED = "expired"  # the hold lapsed; serials returned
    RELEASED = "released"  # the order was cancelled; serials returned
    REVERSED = "reversed"  # refunded after retirement; serials returned (冲正)
    # --- buffer pool and losses (issue 18: services/registry/buffer.py, losses.py) ---
    BUFFER = "buffer"  # 缓冲池: withheld from a delivered issuance, never for sale
    CANCELLED = "cancelled"  # unsold stock cancelled to cover a loss (碳流失)


class RangeState(enum.StrEnum):
    RESERVED = "reserved"
    RETIRED = "retired"
    RETURNED = "returned"
    # --- buffer pool and losses (issue 18) ---
    BUFFER = "buffer"  # held in the buffer pool
    CANCELLED = "cancelled"  # cancelled for a loss (from the buffer or from unsold stock)


class Privacy(enum.StrEnum):
    FULL = "full"
    INITIALS = "initials"
    ANONYMOUS = "anonymous"


class Purpose(enum.StrEnum):
    HOUSEHOLD_YEAR = "household_year"
    EVENT = "event"
    GIFT = "gift"
    JUDICIAL_RESTORATION = "judicial_restoration"  # 司法修复: ordered by a court
    OTHER = "other"
    ORGANISATION = "organisation"  # an organisation's own operations (机构运营)
    # 认建认养: paying for plots of a memorial forest; a contribution, not an offset.
    PLOT_SPONSORSHIP = "plot_sponsorship"
    # 捐资造林: a donation to a memorial site's planting and care; not an offset.
    PLANTING_DONATION = "planting_donation"


class Issuance(Base):
    __tablename__ = "issuances"
    __table_args__ = (
        CheckConstraint("serial_first >= 1", name="serial_first_positive"),
        CheckConstraint("serial_last >= serial_first", name="serial_block_order"),
        CheckConstraint("reserved_kg >= 0 AND retired_kg >= 0", name="counters_non_negative"),
        CheckConstraint(
            "reserved_kg + retired_kg <= serial_last - serial_first + 1", name="not_oversold"
        ),
        # --- buffer pool and losses (issue 18) ---
        CheckConstraint(
            "buffer_held_kg >= 0 AND buffer_used_kg >= 0 AND cancelled_kg >= 0",
            name="buffer_counters_non_negative",
        ),
        CheckConstraint(
            "reserved_kg + retired_kg + buffer_held_kg + buffer_used_kg + cancelled_kg "
            "<= serial_last - serial_first + 1",
            name="stock_adds_up",
        ),
        CheckConstraint("price_per_tonne >= 0", name="price_non_negative"),
        CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> drafted_by_id", name="maker_checker"
        ),
        CheckConstraint(
            "delivery = 'verified' OR (expected_from IS NOT NULL AND expected_to >= expected_from)",
            name="projected_has_years",
        ),
        Index("ix_issuances_project_status", "project_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("sink_projects.id"))
    vintage: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    serial_first: Mapped[int] = mapped_column(BigInteger)
    serial_last: Mapped[int] = mapped_column(BigInteger)
    price_per_tonne: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    delivery: Mapped[Delivery] = mapped_column(str_enum(Delivery))
    expected_from: Mapped[int | None] = mapped_column(Integer)
    expected_to: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[IssuanceStatus] = mapped_column(
        str_enum(IssuanceStatus), default=IssuanceStatus.DRAFT
    )
    reserved_kg: Mapped[int] = mapped_column(BigInteger, default=0)
    retired_kg: Mapped[int] = mapped_column(BigInteger, default=0)
    # --- buffer pool and losses (issue 18) ---
    buffer_held_kg: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    buffer_used_kg: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cancelled_kg: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    note: Mapped[str] = mapped_column(Text, default="")
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[SinkProject] = relationship()

    @property
    def quantity_kg(self) -> int:
        return self.serial_last - self.serial_first + 1

    @property
    def available_kg(self) -> int:
        """Unsold: not reserved, retired, withheld in the buffer or cancelled."""
        return (
            self.quantity_kg
            - self.reserved_kg
            - self.retired_kg
            - self.buffer_held_kg
            - self.buffer_used_kg
            - self.cancelled_kg
        )


class Allocation(Base):
    """Serials held for an order: reserved, then retired for a beneficiary (or returned)."""

    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint("quantity_kg > 0", name="quantity_positive"),
        Index("ix_allocations_state_expires", "state", "expires_at"),
        Index("ix_allocations_retirement_seq", "retirement_entry_seq"),
        # Prefix search of public names (LIKE 'name%') under any PostgreSQL collation.
        Index(
            "ix_allocations_beneficiary_prefix",
            "beneficiary_public",
            postgresql_ops={"beneficiary_public": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("sink_projects.id"))
    quantity_kg: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[AllocationState] = mapped_column(
        str_enum(AllocationState), default=AllocationState.RESERVED
    )
    # Opaque reference of whatever holds the reservation (an order), unique so retries
    # of the same order reuse one allocation instead of reserving twice.
    holder_ref: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    beneficiary_name: Mapped[str | None] = mapped_column(String(120))
    # The name exactly as the holder allowed it to be shown (None when anonymous); public
    # pages, CSV, JSON and search use only this column.
    beneficiary_public: Mapped[str | None] = mapped_column(String(120))
    privacy: Mapped[Privacy | None] = mapped_column(str_enum(Privacy))
    purpose: Mapped[Purpose | None] = mapped_column(str_enum(Purpose))
    purpose_detail: Mapped[str | None] = mapped_column(String(200))
    # Case number and court for judicial restoration (司法修复).
    case_number: Mapped[str | None] = mapped_column(String(80))
    court: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retirement_entry_seq: Mapped[int | None] = mapped_column(BigInteger)
    # --- delivery (issue 18): an allocation of delivered serials made by a verification
    # for a projected (ex-ante) retirement names the allocation it settles.
    settles_allocation_id: Mapped[int | None] = mapped_column(
        ForeignKey("allocations.id"), unique=True
    )

    project: Mapped[SinkProject] = relationship()
    ranges: Mapped[list[SerialRange]] = relationship(
        back_populates="allocation", order_by="SerialRange.first"
    )

    @property
    def current_ranges(self) -> list[SerialRange]:
        """What to show as the allocation's serials: while it holds serials, only those
        (a partial reversal leaves returned sub-ranges beside them); once everything was
        returned, every range it held."""
        if self.state in (AllocationState.RESERVED, AllocationState.RETIRED):
            return [r for r in self.ranges if r.state is not RangeState.RETURNED]
        return list(self.ranges)


class SerialRange(Base):
    """A contiguous run of serials [first, last] of one issuance held by one allocation."""

    __tablename__ = "serial_ranges"
    __table_args__ = (
        CheckConstraint("last >= first", name="range_order"),
        Index("ix_serial_ranges_issuance_first", "issuance_id", "first"),
        Index("ix_serial_ranges_first_last", "first", "last"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuance_id: Mapped[int] = mapped_column(ForeignKey("issuances.id"))
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    first: Mapped[int] = mapped_column(BigInteger)
    last: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[RangeState] = mapped_column(str_enum(RangeState), default=RangeState.RESERVED)

    allocation: Mapped[Allocation] = relationship(back_populates="ranges")
    issuance: Mapped[Issuance] = relationship()

    @property
    def quantity_kg(self) -> int:
        return self.last - self.first + 1


class LedgerEntry(Base):
    """One append-only, hashed entry of the public ledger (a Merkle leaf)."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly what was hashed
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the entry came from, for look-ups (not part of the hash).
    project_id: Mapped[int | None] = mapped_column(ForeignKey("sink_projects.id"), index=True)
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocations.id"), index=True)


class MerkleNode(Base):
    """Hash of a complete, aligned subtree of 2**level leaves starting at index*2**level.

    Stored as entries are appended so proofs need O(log n) look-ups instead of re-hashing
    the whole log.
    """

    __tablename__ = "merkle_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerHead(Base):
    """The single row every registry write locks: the log size and its compact frontier."""

    __tablename__ = "ledger_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # Hex hashes of the perfect subtrees covering [0, size), largest first.
    frontier: Mapped[str] = mapped_column(Text, default="")
    # Hex leaf hash of the newest entry; each entry's body names its predecessor's hash,
    # so an edited entry is named by the one after it even if its own hash was rewritten.
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    next_serial: Mapped[int] = mapped_column(BigInteger, default=1)


class TreeHead(Base):
    """A signed tree head, kept so later heads can be proven consistent with it."""

    __tablename__ = "tree_heads"

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(40))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
