"""Important matters (重要事项报告) as execution announced them: what a supervision order about a matter refers to."""
from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bihuan_supervision.store.models import Base


class MatterView(Base):
    __tablename__ = "matter_views"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    target_id: Mapped[str | None] = mapped_column(String(32))
    milestone_id: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    to_leader: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # open | answered
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
