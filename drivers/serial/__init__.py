"""Serial sensors: pure byte parsers, one per protocol, behind a reconnecting port reader.

- `readings`: what sensors say (TargetsReading, PresenceReading, RangeReading, CommandAck).
- one module per protocol (`registry.SENSOR_TYPES` lists the types): config model, frame encoder and
  `feed(bytes) -> list[Reading]` parser; `envelope` is the LD24xx command frame.
- `framing`: the resynchronising scanner the parsers share.
- `port`: SerialReader, pyserial bytes into a parser, reconnecting after an unplug.
- `registry`: SensorConfig (discriminated by `type`) -> parser / reader.
- `geometry`: a sensor's placement on the floor; `field`: helpers for the field tool.
"""
