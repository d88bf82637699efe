"""Serial sensors: pure byte parsers, one per protocol, behind a reconnecting port reader.

- `readings`: what sensors say (TargetsReading, PresenceReading, RangeReading, CommandAck).
- `ld2450`, `ld2410`, `a02yyuw` (also JSN-SR04T), `maxbotix`: config model, frame encoder and
  `feed(bytes) -> list[Reading]` parser for each protocol; `envelope` is the LD24xx command frame.
- `framing`: the resynchronising scanner the parsers share.
- `port`: SerialReader, pyserial bytes into a parser, reconnecting after an unplug.
- `registry`: SensorConfig (discriminated by `type`) -> parser / reader.
- `geometry`: a sensor's placement on the floor; `field`: helpers for the field tool.
"""
