"""A topic's surge keys (monitor/surge/), validated with the rest of its `[topics.NAME]` table."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from monitor import defaults
from monitor.settings_types import Duration


class TopicSurge(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)  # as settings.Strict

    surge: bool = defaults.SURGE
    surge_window: Duration = Field(default=defaults.SURGE_WINDOW, ge=defaults.SURGE_BUCKET, le=7 * defaults.DAY)
    surge_min_sources: int = Field(default=defaults.SURGE_MIN_SOURCES, ge=1)
    surge_sensitivity: float = Field(default=defaults.SURGE_SENSITIVITY, gt=0.0, lt=0.5)
    surge_baseline: Duration = Field(default=defaults.SURGE_BASELINE, ge=defaults.DAY, le=365 * defaults.DAY)

    @field_validator("surge_baseline")
    @classmethod
    def _surge_baseline(cls, value: float, info: ValidationInfo) -> float:
        if value < 4 * info.data.get("surge_window", 0.0):  # the usual rate needs several windows
            raise ValueError("must be at least four times surge_window")
        return value
