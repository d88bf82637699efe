"""The reference teller dashboard: a static page the daemon serves, talking MQTT over WebSockets."""
