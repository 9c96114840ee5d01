"""Background work and operations: the integration-event relay and consumers, the one-stop connector,
health and metrics URLs, JSON logs."""
