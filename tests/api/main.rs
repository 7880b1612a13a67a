//! Integration tests: the real app against real SQLite files and a fake Bot API server on loopback.

mod audit; // /timezone, times in the caller's zone, audit rows for changes
mod bot; // /start, approval, /help, unknown commands, rate limit, dialogue across a restart
mod buttons; // forged, stale and failing buttons and dialogue steps are answered
mod chaos; // worker processes killed mid-run on Redis + Postgres
mod checks; // check batches: each slot recorded once; late slots skipped and counted
mod cli; // exit codes and start-up rules of the real binary
mod containers; // worker containers through bollard on an imported image
mod dashboard; // /health, /metrics, auth, dead-job list
mod dialogue; // /add steps typed or pressed, stale buttons, /monitors cards and pages, /mute and /watch wording
mod equipment; // devices: taking, returning, waitlists, files
mod fake_telegram; // the fake Bot API server
mod helpers; // TestApp and friends
mod limits; // Telegram limits shared by worker processes through Redis
mod long_targets; // long targets capped and shortened; URL passwords encrypted and masked
mod migrations; // data survives schema changes
mod monitoring; // /watch -> checks -> DOWN/UP alerts; ownership; bad input
mod monitoring_options; // /set, certificate warnings, the ICMP notice
mod notify; // outbox -> Telegram: blocked chats, 429 retry-after
mod policy; // built-in probe denies, admins' rules over them, the "blocked by policy" state
mod postgres; // a throwaway Postgres server for the tests that need one
mod processes; // real teleops processes on the test's own Redis and Postgres
mod queue; // backoff, idempotency, dead-lettering, timeouts, panics, bad payloads, drain
mod queue_redis; // Redis workers: silent workers reaped, attempts at delivery, trimming, pause
mod redis; // a throwaway redis-server for the tests that need one
mod redis_queue; // the Redis store: enqueue once per key, inspect, retry, delete, purge
mod russian; // a Russian user reads Russian: durations, reasons, states, uptime since, menus
mod sabotage; // stores made to refuse writes, on either setup
mod scheduler; // due-scans enqueue once; leader lease; cron heartbeat
mod secrets; // secrets at rest: encrypted phones, key rotation, `teleops rotate-key`
mod setup; // TELEOPS_TEST_SETUP: the stores the suite runs on
mod standby; // a second bot waits, then takes over from a dead first
mod tally; // a test-only slice registered in one line: its command answers, its job runs
