"""The one boundary (webapp/unit_of_work.py): commits once, forgets what rolled back, and
hands messages on only after a successful commit; every revocation path announces the
change, so the next anonymous look at the certificate says REVOKED."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import User
from webapp.services.messages import CertificateChanged, OrderPaid
from webapp.unit_of_work import after_commit, committing, on, pending_messages

ROOT = Path(__file__).resolve().parents[3]


def _collect(app):
    seen: list = []
    on(app, OrderPaid, lambda _app, message: seen.append(message))
    return seen


def test_messages_are_handled_once_after_the_commit(app):
    seen = _collect(app)
    with committing(db.session):
        after_commit(db.session, OrderPaid(1))
        after_commit(db.session, OrderPaid(1))  # the same message: handled once
        after_commit(db.session, OrderPaid(2))
        assert seen == []  # nothing before the commit
    assert seen == [OrderPaid(1), OrderPaid(2)]


def test_a_domain_error_rolls_back_and_drops_the_messages(app):
    seen = _collect(app)
    with pytest.raises(DomainError), committing(db.session):
        db.session.add(User(email="rolled@back.example", display_name="x", password_hash="x"))
        after_commit(db.session, OrderPaid(3))
        raise DomainError("no")
    assert seen == []
    assert db.session.query(User).filter_by(email="rolled@back.example").first() is None
    with committing(db.session):
        pass
    assert seen == []  # and they do not surface in a later unit of work


def test_messages_of_a_rolled_back_savepoint_are_dropped(app):
    seen = _collect(app)
    with committing(db.session):
        after_commit(db.session, OrderPaid(4))
        try:
            with db.session.begin_nested():
                after_commit(db.session, OrderPaid(5))
                raise DomainError("gave up")
        except DomainError:
            pass
        assert pending_messages(db.session) == [OrderPaid(4)]
    assert seen == [OrderPaid(4)]


def test_a_failing_handler_never_undoes_the_commit(app):
    def broken(_app, _message):
        raise RuntimeError("handler failed")

    on(app, OrderPaid, broken)
    seen = _collect(app)
    with committing(db.session):
        db.session.add(User(email="kept@commit.example", display_name="x", password_hash="x"))
        after_commit(db.session, OrderPaid(6))
    assert seen == [OrderPaid(6)]
    assert db.session.query(User).filter_by(email="kept@commit.example").one()


def test_units_of_work_do_not_nest(app):
    with pytest.raises(RuntimeError), committing(db.session), committing(db.session):
        pass


def test_revoke_announces_every_certificate_it_revokes(app):
    """issuing.revoke is the one function every revocation path goes through."""
    from webapp.services.certificates import issuing

    source = Path(issuing.__file__).read_text()
    assert "after_commit(session, CertificateChanged(item.public_id))" in source
    assert CertificateChanged("X").public_id == "X"


# ---- the house rules, checked on the code itself ---------------------------------------

WEBAPP = ROOT / "webapp"
UPPER = ("webapp.blueprints", "webapp.web", "webapp.background", "webapp.commands")


def _imports(path: Path) -> list[str]:
    """Every module a file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


def _module_files(folder: str) -> list[Path]:
    return sorted((WEBAPP / folder).rglob("*.py"))


def test_models_and_services_import_nothing_above_them():
    offenders = []
    for folder in ("models", "services"):
        for path in _module_files(folder):
            for name in _imports(path):
                if name.startswith(UPPER) or name in ("webapp", "webapp.create_app"):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
                if folder == "models" and name.startswith("webapp.services"):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_the_ground_floor_reaches_no_higher_than_the_models():
    """config, extensions, errors, labels… are used by every floor; they use no service
    (labels and extensions name model classes, nothing above)."""
    offenders = []
    for path in sorted(WEBAPP.glob("*.py")):
        if path.name == "__init__.py":  # the app factory: the top floor
            continue
        for name in _imports(path):
            if name.startswith((*UPPER, "webapp.services")) or name == "webapp":
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_no_blueprint_imports_another():
    offenders = []
    for path in _module_files("blueprints"):
        own = path.relative_to(WEBAPP / "blueprints").parts[0]
        for name in _imports(path):
            match = re.match(r"webapp\.blueprints\.(\w+)", name)
            if match and match.group(1) != own:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_services_never_commit():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _module_files("services")
        if re.search(r"\.commit\(\)", path.read_text())
    ]
    assert offenders == []


def test_only_the_boundary_commits():
    offenders = [
        str(path.relative_to(ROOT))
        for path in WEBAPP.rglob("*.py")
        if "migrations" not in path.parts
        and path.name != "unit_of_work.py"
        and re.search(r"\bsession\.commit\(\)", path.read_text())
    ]
    assert offenders == []


def test_no_import_cycles():
    """Between webapp's modules, lazy imports included (a package importing its own
    submodules is not a cycle)."""
    modules = {}
    for path in WEBAPP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            related = name.startswith(imported + ".") or imported.startswith(name + ".")
            if imported and imported != name and not related:
                targets.add(imported)
        graph[name] = targets
    cycles = []
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == []
