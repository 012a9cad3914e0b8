"""The durable queue: job model, stores, executor and spool ingestion. Never imports Qt."""
