"""The daemon's forecast: refitted every `refit_interval_h` on its own thread, fitted in a child process.

The fit runs in a spawned, niced child so it never holds the daemon's GIL: the recognition thread keeps
its frames while statsmodels works. The history is read here (one cheap query) and handed over; the
forecast comes back as plain arrays, is published retained on `<prefix>/<branch>/forecast` and queued
as anonymous aggregates in the outbox.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

from common.backoff import Backoff
from common.faults import Faults, keep_running
from device.analytics.config import AnalyticsConfig
from device.analytics.data import AnalyticsData
from device.analytics.publish import forecast_aggregates, forecast_message
from device.analytics.series import HOUR_S, MIN_HISTORY_DAYS, Forecast, HourlyHistory
from device.state.store import Store

log = logging.getLogger(__name__)

FIT_TIMEOUT_S = 600.0
CHILD_NICENESS = 10


class FitError(RuntimeError):
    pass


def _serve_fit(
    connection: Connection,
    history: HourlyHistory,
    holidays: tuple[date, ...],
    horizon_h: int,
    school_holidays: tuple[tuple[date, date], ...],
) -> None:
    os.nice(CHILD_NICENESS)
    from device.analytics.forecast import fit_forecast

    try:
        connection.send(fit_forecast(history, holidays, horizon_h, school_holidays))
    except Exception as exc:  # the parent logs it; a traceback object does not pickle
        connection.send(FitError(f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


def fit_in_child(
    history: HourlyHistory,
    holidays: tuple[date, ...],
    horizon_h: int,
    stop: threading.Event,
    school_holidays: tuple[tuple[date, date], ...] = (),
) -> Forecast | None:
    """The fit in a spawned, niced process; None when `stop` is set first (the child is ended)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_serve_fit,
        args=(sender, history, holidays, horizon_h, school_holidays),
        name="branchdoor-forecast",
        daemon=True,
    )
    process.start()
    sender.close()
    deadline = time.monotonic() + FIT_TIMEOUT_S
    try:
        while not receiver.poll(0.2):
            if stop.is_set():
                return None
            if not process.is_alive() and not receiver.poll():
                raise FitError(f"the forecast process ended (exit code {process.exitcode})")
            if time.monotonic() > deadline:
                raise FitError(f"the forecast took over {FIT_TIMEOUT_S:.0f}s")
        result = receiver.recv()
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join(2.0)
    if isinstance(result, FitError):
        raise result
    if not isinstance(result, Forecast):
        raise FitError(f"the forecast process answered {type(result).__name__}")
    return result


class ForecastService:
    def __init__(
        self,
        settings: AnalyticsConfig,
        store: Store,
        branch_id: str,
        publish: Callable[[dict[str, Any], int], None],
        first_after_s: float = 60.0,
        upload: bool = True,
        fit: Callable[[HourlyHistory, tuple[date, ...], int, threading.Event], Forecast | None] | None = None,
        faults: Faults | None = None,
        retry_after_s: float = 60.0,
        refitted: Callable[[Forecast, int], None] | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self._settings = settings
        self._data = AnalyticsData.of(store)
        self._branch_id = branch_id
        self._publish = publish
        self._first_after_s = first_after_s
        self._upload = upload  # without a central service, queued aggregates would only pile up
        # School holidays are bound here: a fit given by the caller (a test's) keeps its four arguments.
        self._fit = fit or functools.partial(fit_in_child, school_holidays=tuple(settings.school_holidays))
        self._refitted = refitted  # told each new forecast and its expiry (the staffing plan)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forecast", daemon=True)
        self.last_forecast: Forecast | None = None
        # A refit that failed (the database, the fitting process) is tried again soon, not a whole
        # refit interval later: from `retry_after_s`, doubling up to that interval.
        self._retry = Backoff(retry_after_s, max(retry_after_s, settings.refit_interval_h * 3600))

    @property
    def failures(self) -> int:
        return self.faults.totals().get("forecast", 0)

    @property
    def expiry_s(self) -> int:
        """A retained forecast outlives one missed refit, then vanishes: a dead kiosk's goes stale."""
        return int(2 * self._settings.refit_interval_h * 3600)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        if not self._stop.wait(self._first_after_s):
            keep_running(self.faults, "forecast", "refit", self._refit, self._stop, self._retry)

    def _refit(self) -> float:
        self.refit_once()
        return self._settings.refit_interval_h * 3600

    def refit_once(self, now: float | None = None) -> Forecast | None:
        """Fit on the history up to the current hour; publish and queue the forecast. None: too little
        history yet."""
        until = (time.time() if now is None else now) // HOUR_S * HOUR_S
        history = self._data.hourly_history(until, self._settings.history_days)
        if history is None or history.days < MIN_HISTORY_DAYS:
            held = 0.0 if history is None else history.days
            log.info("forecast: %.1f days of history, waiting for %d", held, MIN_HISTORY_DAYS)
            return None
        horizon_h = self._settings.horizon_days * 24
        forecast = self._fit(history, tuple(self._settings.holidays), horizon_h, self._stop)
        if forecast is None:  # stopping
            return None
        self._publish(forecast_message(forecast, self._branch_id), self.expiry_s)
        queued = (
            self._data.queue_aggregates(forecast_aggregates(forecast, self._branch_id), time.time())
            if self._upload
            else 0
        )
        self.last_forecast = forecast
        if forecast.unsure_reason is not None:
            log.info("forecast: unsure: %s", forecast.unsure_reason)
        if self._refitted is not None:
            self._refitted(forecast, self.expiry_s)
        log.info(
            "forecast: refitted on %.0f days in %.2fs, %d hours published and queued (%d records)",
            forecast.history_days,
            forecast.fit_s,
            len(forecast.starts),
            queued,
        )
        return forecast
