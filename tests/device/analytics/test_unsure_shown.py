"""An unsure forecast says so where people and screens read it: the retained MQTT message (in the
AsyncAPI contract) and the manager's report, before any figure."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from device.analytics.config import AnalyticsConfig
from device.analytics.publish import forecast_message
from device.analytics.report import _outlook, forecast_from
from device.analytics.series import Forecast
from device.analytics.synthetic import synthetic_branch
from device.mqtt.contract.models import ForecastPayload

T0 = 1_888_888 * 3600.0
REASON = "traffic shifted -40% 4 days ago; the new level rests on those days alone"


def forecast(reason: str | None) -> Forecast:
    hours = 7 * 24
    mean = np.where(np.arange(hours) % 24 >= 9, 10.0, 0.0)
    return Forecast(
        starts=T0 + 3600.0 * np.arange(1, hours + 1, dtype=np.float64),
        mean=mean,
        low80=np.where(mean > 0, 6, 0).astype(np.int64),
        high80=np.where(mean > 0, 14, 0).astype(np.int64),
        issued_at=T0,
        history_days=120.0,
        trend_per_year=None,
        fit_s=0.1,
        unsure_reason=reason,
    )


def test_the_published_forecast_says_it_is_unsure_and_why_within_the_contract() -> None:
    message = forecast_message(forecast(REASON), "0427")
    assert (message["unsure"], message["unsure_reason"]) == (True, REASON)
    ForecastPayload.model_validate(message)
    sure = forecast_message(forecast(None), "0427")
    assert (sure["unsure"], sure["unsure_reason"]) == (False, None)
    ForecastPayload.model_validate(sure)


def test_a_forecast_from_before_the_flag_still_reads_as_sure() -> None:
    older = forecast_message(forecast(None), "0427")
    del older["unsure"], older["unsure_reason"]
    assert ForecastPayload.model_validate(older).unsure is False


def test_the_report_says_the_outlook_is_unsure_before_its_figures() -> None:
    page = _outlook(forecast(REASON), "Learned from 120 days.", None)
    assert "This forecast is unsure:</strong> traffic shifted -40% 4 days ago" in page
    assert page.index("This forecast is unsure") < page.index("visits are expected")
    assert "unsure" not in _outlook(forecast(None), "Learned from 120 days.", None)


def test_the_report_fits_with_the_configured_school_holidays() -> None:
    first = date(2026, 1, 5)
    history = synthetic_branch(first, 28).history
    ahead = first + timedelta(days=28)  # the day after the history ends: a holiday never seen, so unsure
    settings = AnalyticsConfig(horizon_days=7, school_holidays=[(ahead, ahead + timedelta(days=6))])
    forecast, note = forecast_from(history, settings)
    assert forecast is not None and forecast.unsure_reason is not None
    assert "school holidays" in forecast.unsure_reason
    assert "1 school holiday period." in note
