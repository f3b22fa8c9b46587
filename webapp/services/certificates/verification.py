"""Public verification of a certificate: status, coverage, token check and ledger proof.

Everything here is public. The holder appears only as ``holder_public`` (the name as the
holder allowed it; ``None`` for anonymous); e-mail, order details and the private full
name are never read into the result.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, create_engine, event, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from webapp.models import Certificate, CertificateStatus, LedgerEntry, Plot, TreeHead
from webapp.services.certificates import freshness
from webapp.services.certificates.coverage import Coverage, coverage
from webapp.services.certificates.ids import format_public_id, normalize_public_id
from webapp.services.certificates.token import TokenClaims, TokenError, verify_token
from webapp.services.registry import ledger, merkle, published
from webapp.services.registry import losses as loss_register
from webapp.services.signing import Keyring

# The revocation reason a partial refund writes (``services/events/surplus``), followed by
# the public id of the certificate issued for the tonnes that remain.
SUPERSEDED = "superseded by partial refund"


@dataclass(frozen=True)
class InclusionProof:
    """RFC 6962 proof that the retirement entry is in the signed tree."""

    seq: int
    kind: str
    body: str  # the canonical JSON that was hashed
    leaf_hash: str
    tree_size: int
    root_hash: str
    path: tuple[str, ...]
    tree_head: dict[str, Any]  # tree_size, timestamp, root_hash, kid, signature
    verified: bool  # recomputed here: the path leads from the leaf to the signed root


@dataclass(frozen=True)
class PublicRecord:
    """What anyone may know about one certificate."""

    index: int  # primary key = position in the status list
    public_id: str
    display_id: str
    kind: str
    status: str
    quantity_kg: int | None
    plot_code: str | None
    issued_on: date
    holder_public: str | None
    revoked_at: datetime | None
    revocation_reason: str | None
    token: str
    key_id: str
    facts: Coverage = field(default_factory=Coverage)
    proof: InclusionProof | None = None
    # Plot certificates: the site of the plot (a plot code is unique only per site).
    site_code: str | None = None
    site_name_zh: str | None = None
    site_name_en: str | None = None
    # Losses (issue 18): confirmed losses of the project the certificate rests on. The
    # record is rebuilt when a loss is confirmed or resolved: both append a ledger entry,
    # which publishes a new head, part of every copy's key (freshness).
    losses: tuple[loss_register.LossNote, ...] = ()

    @property
    def superseded_by(self) -> str | None:
        """The certificate re-issued after a partial refund revoked this one, if so."""
        reason = self.revocation_reason or ""
        prefix = f"{SUPERSEDED}: "
        if not reason.startswith(prefix):
            return None
        return reason[len(prefix) :].strip() or None

    @property
    def valid(self) -> bool:
        return self.status == CertificateStatus.VALID.value


@dataclass(frozen=True)
class TokenCheck:
    """The result of checking a scanned token's signature against the keyring."""

    valid: bool
    claims: TokenClaims | None = None
    key_id: str | None = None
    # None: nothing to compare (no such certificate); False: signed, but not what the
    # registry holds for this id.
    matches_record: bool | None = None
    problem: str | None = None


def find(session: Session, public_id: str) -> Certificate | None:
    canonical = normalize_public_id(public_id)
    if canonical is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.public_id == canonical))


def inclusion(session: Session, seq: int, head: TreeHead | None) -> InclusionProof | None:
    """Proof of entry ``seq`` against the published head ``head`` (None: not covered yet)."""
    if head is None or seq >= head.tree_size:
        return None
    entry = session.get(LedgerEntry, seq)
    if entry is None:
        return None
    size = head.tree_size
    path = published.inclusion_proof(session, seq, size)
    sth = ledger.tree_head_dict(head)
    root = bytes(head.root_hash)
    leaf = bytes(entry.leaf_hash)
    return InclusionProof(
        seq=seq,
        kind=entry.kind,
        body=entry.body,
        leaf_hash=leaf.hex(),
        tree_size=size,
        root_hash=sth["root_hash"],
        path=tuple(h.hex() for h in path),
        tree_head=sth,
        verified=merkle.verify_inclusion(leaf, seq, size, path, root),
    )


def public_record(
    session: Session,
    certificate: Certificate,
    *,
    head: TreeHead | None = None,
    with_proof: bool = True,
) -> PublicRecord:
    """The plain-data record of ``certificate``; its proof is against the published ``head``."""
    facts = coverage(session, certificate)
    proof = None
    if with_proof and facts.retirement_seq is not None:
        proof = inclusion(session, facts.retirement_seq, head)
    site = None
    if certificate.plot_id is not None:
        plot = session.get(Plot, certificate.plot_id)
        site = plot.site if plot is not None else None
    return PublicRecord(
        index=certificate.id,
        public_id=certificate.public_id,
        display_id=format_public_id(certificate.public_id),
        kind=certificate.kind.value,
        status=certificate.status.value,
        quantity_kg=certificate.quantity_kg,
        plot_code=certificate.plot_code,
        issued_on=certificate.issued_on,
        holder_public=certificate.holder_public,
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason,
        token=certificate.token,
        key_id=certificate.key_id,
        facts=facts,
        proof=proof,
        site_code=site.code if site else None,
        site_name_zh=site.name_zh if site else None,
        site_name_en=site.name_en if site else None,
        losses=loss_register.notes_for_project(session, facts.project_code),
    )


@dataclass(frozen=True)
class Current:
    """A certificate's public record for its state now."""

    record: PublicRecord
    key: tuple[Hashable, ...]  # the state the record was built from (for derived copies)


# The certificate's mutable state and the latest published head's size, in one round trip.
_LATEST_HEAD = (
    select(TreeHead.tree_size).order_by(TreeHead.tree_size.desc()).limit(1).scalar_subquery()
)
_STATE = select(
    Certificate.id,
    Certificate.public_id,
    Certificate.status,
    Certificate.revoked_at,
    Certificate.revocation_reason,
    Certificate.holder_public,
    _LATEST_HEAD.label("head_size"),
).where(Certificate.public_id == bindparam("public_id"))


_STATE_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_STATE_READERS: weakref.WeakKeyDictionary[Engine, _StateReader] = weakref.WeakKeyDictionary()


class _StateReader:
    """The state read on PostgreSQL: a few autocommit connections kept between requests
    (taken and given back with a list's pop and append, whatever thread asks), and the
    statement sent as compiled once (its values normalised by ``freshness.state_key``).
    Checking a connection out of the engine's pool (its events, its reset on return), and
    compiling and typing the statement each time, cost about as much as the round trip
    itself: ~0.47 ms a read against ~0.23 ms (docs/BENCHMARKS.md).

    No pre-ping either (a second round trip): a connection the server dropped (a restart)
    fails its read and is discarded, and the read, which changes nothing, is asked once
    more on a new connection; a second failure is the registry being unreachable.
    """

    IDLE = 4  # connections kept between reads; more at once come and go

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        compiled = _STATE.compile(dialect=engine.dialect)
        self._sql = str(compiled)
        self._params = dict(compiled.params)
        self._lock = threading.Lock()
        self._idle: list[Connection] = []

    def read(self, public_id: str) -> Row[Any] | None:
        params = {**self._params, "public_id": public_id}
        for attempt in (1, 2):
            conn = self._take()
            try:
                row = conn.exec_driver_sql(self._sql, params).first()
            except DBAPIError as exc:
                self._close(conn)
                if attempt == 2 or not exc.connection_invalidated:
                    raise
                continue
            except BaseException:
                self._close(conn)
                raise
            self._give_back(conn)
            return row
        raise AssertionError("unreachable")  # pragma: no cover

    def _take(self) -> Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self.engine.connect()

    def _give_back(self, conn: Connection) -> None:
        with self._lock:
            if len(self._idle) < self.IDLE:
                self._idle.append(conn)
                return
        self._close(conn)

    @staticmethod
    def _close(conn: Connection) -> None:
        with contextlib.suppress(SQLAlchemyError):
            conn.close()

    def close_all(self) -> None:
        """The idle connections (the application's engine is being disposed)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            self._close(conn)


def _state_engine(session: Session) -> Engine:
    """Where the one-statement state read runs: autocommit, made once per engine.

    On PostgreSQL it is an engine of its own, without the pool's pre-ping (see
    :class:`_StateReader`), disposed with the application's engine. SQLite has no server
    to lose, and a test's in-memory database must stay on one pool, so there the same
    pool serves.
    """
    engine = session.get_bind()
    found = _STATE_ENGINES.get(engine)
    if found is None:
        if engine.dialect.name == "postgresql":
            found = create_engine(
                engine.url,
                isolation_level="AUTOCOMMIT",
                pool_pre_ping=False,
                pool_size=2,
                max_overflow=8,
            )
            reader = _STATE_READERS[engine] = _StateReader(found)

            def dispose(_conn: object, own: Engine = found, held: _StateReader = reader) -> None:
                held.close_all()
                own.dispose()

            event.listen(engine, "engine_disposed", dispose)
        else:
            found = engine.execution_options(isolation_level="AUTOCOMMIT")
        _STATE_ENGINES[engine] = found
    return found


def _read_state(session: Session, public_id: str) -> Row[Any] | None:
    # One statement on its own (autocommit): no BEGIN/ROLLBACK round trips around it, and
    # the snapshot it reads is taken after every commit that finished before it started.
    engine = _state_engine(session)
    reader = _STATE_READERS.get(session.get_bind())
    if reader is not None:
        return reader.read(public_id)
    with engine.connect() as conn:
        return conn.execute(_STATE, {"public_id": public_id}).one_or_none()


def current(session: Session, config: Mapping[str, Any], public_id: str) -> Current | None:
    """The certificate's public record for its state now, built once per state.

    Every call reads the certificate's row (by its unique public id) and the size of the
    latest published head, in one query; the record is reused only while both are what it
    was built from, so a revocation committed by any process is seen by the next call
    (``freshness``).
    """
    canonical = normalize_public_id(public_id)
    if canonical is None:
        return None
    row = _read_state(session, canonical)
    if row is None:
        return None
    key = freshness.state_key(*row)
    store = freshness.copies(config)
    record = store.get(("record", *key))
    if record is None:
        certificate = session.get(Certificate, row.id)
        head = None
        if row.head_size is not None:
            head = session.scalar(select(TreeHead).where(TreeHead.tree_size == row.head_size))
        record = public_record(session, certificate, head=head)
        # Keyed by what the record was built from (the row may have moved on meanwhile).
        key = freshness.state_key(
            certificate.id,
            certificate.public_id,
            certificate.status,
            certificate.revoked_at,
            certificate.revocation_reason,
            certificate.holder_public,
            head.tree_size if head is not None else None,
        )
        store.put(("record", *key), record)
    return Current(record=record, key=key)


def check_token(
    keyring: Keyring,
    public_id: str,
    token: str,
    certificate: Certificate | PublicRecord | None,
) -> TokenCheck:
    """Verify a scanned token; compare its claims with the stored certificate."""
    try:
        claims = verify_token(keyring, token, public_id=public_id)
    except TokenError as exc:
        return TokenCheck(valid=False, problem=str(exc))
    matches = None
    if certificate is not None:
        matches = (
            claims.public_id == certificate.public_id
            and claims.kind == certificate.kind
            and claims.issued_on == certificate.issued_on
            and claims.quantity_kg == certificate.quantity_kg
            and claims.plot_code == certificate.plot_code
        )
    return TokenCheck(valid=True, claims=claims, key_id=claims.key_id, matches_record=matches)


def warm(session: Session, config: Mapping[str, Any]) -> None:
    """Open the state read's connection and compile the statements a record is built
    with (on the newest retirement's certificate, if any) before the first visitor needs them (a
    server process's warm-up, ``webapp/warmup.py``)."""
    _read_state(session, "")
    # The commonest kind: a retirement's certificate (coverage, proof, loss notes). Read
    # outside the session, which must begin no transaction before ``current`` reads.
    with _state_engine(session).connect() as conn:
        newest = conn.execute(
            select(Certificate.public_id)
            .where(Certificate.allocation_id.is_not(None))
            .order_by(Certificate.id.desc())
            .limit(1)
        ).scalar()
    if newest is not None:
        current(session, config, newest)
