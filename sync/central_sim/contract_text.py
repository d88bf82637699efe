"""The prose of the contract, read by a bank's integration team in sync/openapi.json."""

from __future__ import annotations

from sync.signing import MAX_SKEW_S

TITLE = "branchdoor central sync"
VERSION = "1.3.0"

DESCRIPTION = """
How a branchdoor kiosk (a face check-in device at a bank branch door) syncs with the bank's central
account service. The device pulls its **gallery** (consented customers and their face templates) as
a feed of changes, and pushes **check-ins**, **audit records** and anonymous **aggregates** up, and
acknowledges every deletion it carried out.

## Authentication: signed requests

Every request carries three headers:

* `X-Device-Id`: the device id, equal to `{device_id}` in the path;
* `X-Timestamp`: unix seconds by the server's clock, as the device knows it (below);
* `X-Signature`: lower-case hex `HMAC-SHA256(secret, METHOD + "\\n" + path_with_query + "\\n" +
  X-Timestamp + "\\n" + hex(SHA256(body)))`, where `path_with_query` is the request target exactly as
  sent (`/v1/devices/door-1/gallery?cursor=abc&limit=100`) and the body of a GET is empty.

The secret is each device's own (at least 32 bytes; one device's secret is refused for any other
device id and for another device's resources), provisioned into a credential file readable only by
the daemon (mode 0600 or a systemd credential), never into the configuration file. The reference
service derives it from a master secret: `HMAC-SHA256(master, "branchdoor device secret\\n" +
device_id)` in hex, printed for provisioning by `branchdoor central-sim --print-device-secret ID`.

**Freshness window.** A timestamp more than MAX_SKEW_S seconds from the server's clock is refused, and the
server remembers every `(device id, timestamp, signature)` it accepted for as long as that timestamp
stays inside the window. A request captured on the wire is therefore good for nothing: replayed
within the window it was already seen, replayed later it is stale.

Kiosks run on boxes without a battery-backed clock; after a power cut their clock can be hours or
days off until NTP answers, and a skewed device must still sync (above all, it must still receive
deletions). So every answer carries the server's `Date` header, and a device signs with its own clock
plus the offset it last learned from one. A device that does not know the offset yet is refused once
with `401` and a `detail` that begins `timestamp outside the window`; it reads that answer's `Date`
and signs the request again.

A device never sends the same request twice with the same `X-Timestamp` (its signature would be the
same, and refused as a replay): repeating a request within a second, it signs the repeat with the
next second. Different requests may share a timestamp, so a burst of uploads keeps to the server's
time.

Failures answer `401` with `{"detail": reason}`: unsigned, device mismatch, bad signature, timestamp
outside the window, replayed. A `replayed` answer after a restart (a request repeated within the same
second) is safe to retry with a fresh timestamp.

## The gallery feed

`GET /v1/devices/{device_id}/gallery` returns changes in order: an `upsert` replaces everything held
about a customer; a `delete` (tombstone) means forget them now — profile, consent, templates and
check-ins — and then acknowledge with `POST /deletion-acks`. The feed is compacted: a customer appears
at most once, with their latest state, so a customer changed while the device is paging is seen again
later, never lost.

Start with no cursor, then always pass the `next_cursor` of the last page. Cursors are opaque. While
`more` is true, pull again at once; afterwards poll with the last cursor.

**410 Gone** means the cursor expired: wipe the whole gallery (and held customer data) and pull from
scratch with no cursor.

**Consent.** A device holds a customer only when `consent.scope` includes `branch-devices`. An upsert
without it is refused by the device (anything already held for that customer is deleted) and reported
as an audit record with `event: gallery_item_refused`. An item that fails validation is skipped and
reported the same way; the rest of the page is applied.

**Staff** (since 1.2.0). An upsert may carry `role`: `customer` (the default, and what an upsert
without it means) or `staff`, a consenting member of the branch's staff whom the device recognises
only to leave alone: never cued, checked in or counted as a visit. Any other role makes the item
malformed: refused and reported like any item that fails validation.

## Uploads

`POST /checkins`, `/audit` and `/aggregates` take `{"records": [...]}`. Each record has a stable
`record_id`: re-sending a record stores nothing new and counts it under `duplicates`. Each batch has
an `Idempotency-Key` header: the same key with the same body returns the first answer again; the same
key with a different body is refused with `422`. Retry with the same key and body after a timeout,
`500` or `503`.

**A refused record.** A record the service refuses for its own content (a field missing or out of
its rule) is named in the `422` answer's `rejected` list by its `record_id`, with the reason (the field
and the rule, never the value). The device sets exactly those records aside for an engineer and sends
the rest of the batch under a new `Idempotency-Key`. Every other refusal (a `422` that names no record,
`3xx`, `401`, `403`, `404`, `409`, `429`, `5xx`, no answer, or an answer that is not this contract's
JSON) says nothing about any one record: the device keeps every record and retries the same batch
with backoff until it is accepted. A service that cannot name a refused record therefore holds up
that device's records of that kind, loudly, and loses none.

**Staffing** (since 1.3.0). An aggregate with `metric: staffing_counters` is one hour of the branch's
staffing plan: `value` counters to open, `expected_wait_s` (null: the line grows all hour even with every
counter open), `served_within_target` and `meets_target`, and the `issued_at` of the forecast it was made
from (a newer plan replaces it, as for `forecast_visits`). Devices before 1.3.0 send none; nothing else
changed.

No face template or image is ever uploaded.
""".replace("MAX_SKEW_S", str(MAX_SKEW_S))
