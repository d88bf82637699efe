"""Helpers every layer may import (device/, drivers/, sync/); it imports none of them."""
