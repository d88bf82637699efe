"""The explicit map from a configured serial sensor `type` to its parser, and opening it on a port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args

from pydantic import Field

from common.backoff import Backoff
from drivers.serial.a02yyuw import JSN_SR04T_BLIND_MM, A02yyuwConfig, A02yyuwParser, JsnSr04tConfig
from drivers.serial.base import Parser
from drivers.serial.ld2410 import Ld2410Config, Ld2410Parser
from drivers.serial.ld2450 import Ld2450Config, Ld2450Parser
from drivers.serial.maxbotix import MaxbotixConfig, MaxbotixParser
from drivers.serial.port import SerialPort, SerialReader, open_pyserial
from drivers.serial.scanner import LineParser, ScannerConfig

AnySensorConfig = Ld2450Config | Ld2410Config | A02yyuwConfig | JsnSr04tConfig | MaxbotixConfig
SensorConfig = Annotated[AnySensorConfig, Field(discriminator="type")]
# Every `type` a config may name, in the union's order (for CLI choices and docs).
SENSOR_TYPES: tuple[str, ...] = tuple(
    str(model.model_fields["type"].default) for model in get_args(AnySensorConfig)
)


def _jsn_sr04t(config: JsnSr04tConfig) -> Parser:
    return A02yyuwParser(
        blind_mm=JSN_SR04T_BLIND_MM, checksum_includes_header=config.checksum_includes_header
    )


_PARSERS: dict[str, Callable[[Any], Parser]] = {
    "ld2450": lambda _config: Ld2450Parser(),
    "ld2410": lambda _config: Ld2410Parser(),
    "a02yyuw": lambda _config: A02yyuwParser(),
    "jsn_sr04t": _jsn_sr04t,
    "maxbotix": lambda _config: MaxbotixParser(),
}


def parser_for(config: AnySensorConfig) -> Parser:
    try:
        factory = _PARSERS[config.type]
    except KeyError:  # a config model without a driver is a programming error, not a user one
        raise LookupError(f"no serial sensor driver registered for type {config.type!r}") from None
    return factory(config)


def open_sensor(
    config: AnySensorConfig, opener: Callable[[str, int], SerialPort] = open_pyserial
) -> SerialReader:
    """A reader for the configured sensor. The port is opened lazily, by `readings`."""
    backoff = Backoff(config.reconnect_min_s, config.reconnect_max_s)
    return SerialReader(config.port, config.baud, parser_for(config), opener=opener, backoff=backoff)


# Scanners are not floor sensors (nothing to place on the plan): their own config and map.
_SCANNER_PARSERS: dict[str, Callable[[ScannerConfig], Parser]] = {
    "ascii_lines": lambda config: LineParser(config.max_length),
}


def open_scanner(
    config: ScannerConfig, opener: Callable[[str, int], SerialPort] = open_pyserial
) -> SerialReader:
    backoff = Backoff(config.reconnect_min_s, config.reconnect_max_s)
    parser = _SCANNER_PARSERS[config.type](config)
    return SerialReader(config.port, config.baud, parser, opener=opener, backoff=backoff)
