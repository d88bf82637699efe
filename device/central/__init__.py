"""The device side of central sync: pull gallery pages, drain the outbox."""
