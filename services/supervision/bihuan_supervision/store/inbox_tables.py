"""Who has read which warning: the in-app inbox keeps read state per recipient (a unit, a leader, the office), not
per person, since a unit's reporters share one inbox and one of them reading a warning settles it for the unit."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, PrimaryKeyConstraint, String, func
from sqlalchemy.orm import Mapped, mapped_column

from bihuan_supervision.store.models import Base


class WarningRead(Base):
    __tablename__ = "warning_reads"
    __table_args__ = (PrimaryKeyConstraint("warning_id", "recipient"),)

    warning_id: Mapped[int] = mapped_column(Integer, ForeignKey("warnings.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(140))  # office | leader:<user> | unit:<unit code>
    read_by: Mapped[str] = mapped_column(String(128))
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
