"""Writing prompt templates: the one path the dashboard, the API and the CLI share (validate, version, label, audit).

A template belongs to one role; an edit appends a version (the old one stays, so every past decision still names
the exact text it was asked with). Labels such as `production` and `candidate` point at one version each.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from arena.engine.decide.prompts import PromptTemplate
from arena.engine.enum_schema import inline_enum
from arena.kernel.errors import InvalidRequestError
from arena.kernel.kinds import Role
from arena.storage.models.prompts import ROLE_TEXT_MAX_CHARS
from arena.storage.repositories import prompts as repo

TEMPLATE_ID_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
LABEL_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
_TEMPLATE_ID = re.compile(TEMPLATE_ID_PATTERN)


class PromptSpec(BaseModel):
    """A new version of a template as an operator writes it (`POST /prompts`, the Profiles page)."""

    model_config = ConfigDict(extra="forbid")

    template_id: str = Field(pattern=TEMPLATE_ID_PATTERN, description="2-64 lower-case letters, digits or _")
    role: Annotated[Role, inline_enum(Role, "Role")]
    role_text: str = Field(min_length=20, max_length=ROLE_TEXT_MAX_CHARS, description="what the role is asked to do")
    notes: str | None = Field(default=None, max_length=500, description="why this version was written")
    label: str | None = Field(
        default=None, pattern=LABEL_PATTERN, description="point this label (e.g. candidate) at the new version"
    )

    @field_validator("role_text")
    @classmethod
    def _text(cls, value: str) -> str:
        """Stored without surrounding whitespace (the length rule is the schema's, on the text as sent)."""
        return value.strip()


def validate_prompt(data: object) -> PromptSpec:
    """Parse operator input; InvalidRequestError names the first bad field (nothing is saved)."""
    try:
        return PromptSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or None
        raise InvalidRequestError(
            "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()), field=where
        ) from None


SAVE_ATTEMPTS = 3  # two operators saving one template at once: the loser of the version number tries again


def save_prompt(*, sessions: sessionmaker[Session], spec: PromptSpec, actor: str) -> tuple[str, int]:
    """Append the next version (and move the label when one is given); returns (template_id, version)."""
    for attempt in range(1, SAVE_ATTEMPTS + 1):
        try:
            return _save_once(sessions, spec, actor)
        except IntegrityError:
            if attempt == SAVE_ATTEMPTS:
                raise InvalidRequestError(
                    f"template {spec.template_id} is being saved by someone else right now; try again",
                    field="template_id",
                ) from None
    raise AssertionError("unreachable")


def _save_once(sessions: sessionmaker[Session], spec: PromptSpec, actor: str) -> tuple[str, int]:
    with sessions() as session, session.begin():
        # version 1's row is the template's lock: concurrent saves of one template take turns (PostgreSQL)
        existing = repo.get_version(session=session, template_id=spec.template_id, version=1, lock=True)
        if existing is not None and existing.role != spec.role:
            raise InvalidRequestError(
                f"template {spec.template_id} is a {existing.role} template; a new version keeps its role",
                field="role",
            )
        row = repo.add_version(
            session=session,
            template_id=spec.template_id,
            role=spec.role,
            role_text=spec.role_text,
            notes=spec.notes,
            actor=actor,
        )
        if spec.label:
            repo.set_label(
                session=session, template_id=spec.template_id, label=spec.label, version=row.version, actor=actor
            )
        return spec.template_id, row.version


def load_prompt(*, session: Session, template_id: str, version: int) -> PromptTemplate | None:
    """The stored template version a profile names, or None when it does not exist."""
    row = repo.get_version(session=session, template_id=template_id, version=version)
    if row is None:
        return None
    return PromptTemplate(row.template_id, row.version, row.role, row.role_text)


def prompt_exists(*, session: Session, template_id: str, version: int) -> bool:
    return (
        bool(_TEMPLATE_ID.match(template_id))
        and load_prompt(session=session, template_id=template_id, version=version) is not None
    )


def diff_text(old: str, new: str, *, old_name: str, new_name: str) -> str:
    """A unified diff of two versions' texts, one sentence per line so a change is easy to see."""
    split = re.compile(r"(?<=[.!?])\s+")
    return "\n".join(
        difflib.unified_diff(split.split(old), split.split(new), fromfile=old_name, tofile=new_name, lineterm="")
    )
