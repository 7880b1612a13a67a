//! The last lines the process logged, kept in memory for the developers' `/dev_logs`.
//!
//! [`LogRing`] is a bounded buffer: at most [`LINES`] events, each cut to [`LINE_BYTES`], so it
//! holds a few megabytes at most however long the process runs. One buffer serves the process
//! ([`recent`]); `telemetry::get_subscriber` always adds a text layer that writes into it
//! through [`writer`], whatever `TELEOPS_LOG_FORMAT` says, filtered like the other output. It
//! holds only what was logged, and secrets are never logged (`Secret` and `Encrypted` print
//! `[redacted]`).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{LazyLock, Mutex};

use tracing_subscriber::fmt::MakeWriter;

/// Events kept: the oldest goes when one more comes.
pub const LINES: usize = 2_000;

/// An event longer than this (in bytes) is cut, on a character boundary, and marked `…`.
pub const LINE_BYTES: usize = 4_096;

/// The newest `capacity` lines, oldest first.
#[derive(Debug)]
pub struct LogRing {
    lines: VecDeque<String>,
    capacity: usize,
}

impl LogRing {
    pub fn new(capacity: usize) -> Self {
        Self { lines: VecDeque::with_capacity(capacity.min(LINES)), capacity: capacity.max(1) }
    }

    /// Keeps `line` (trailing newlines dropped, cut to [`LINE_BYTES`]), dropping the oldest when full.
    pub fn push(&mut self, line: &str) {
        let line = line.trim_end_matches(['\n', '\r']);
        let line = if line.len() > LINE_BYTES {
            let mut end = LINE_BYTES;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &line[..end])
        } else {
            line.to_owned()
        };
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// Every line kept, oldest first, each ending in a newline.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.lines.iter().map(|l| l.len() + 1).sum());
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

static RING: LazyLock<Mutex<LogRing>> = LazyLock::new(|| Mutex::new(LogRing::new(LINES)));

/// What the process logged last, oldest first, as the text of `logs.txt`.
pub fn recent() -> String {
    lock().text()
}

/// The sink of the process's log layer: each event is written through one [`EventWriter`],
/// kept as one line when the writer is dropped.
pub fn writer() -> RingSink {
    RingSink
}

/// Makes an [`EventWriter`] per event.
#[derive(Debug, Clone, Copy)]
pub struct RingSink;

impl<'a> MakeWriter<'a> for RingSink {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter(Vec::new())
    }
}

/// One event's formatted bytes, pushed into the process's ring on drop.
#[derive(Debug)]
pub struct EventWriter(Vec<u8>);

impl Write for EventWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            lock().push(&String::from_utf8_lossy(&self.0));
        }
    }
}

/// The ring, also after a thread panicked holding it: a log line is never worth a panic.
fn lock() -> std::sync::MutexGuard<'static, LogRing> {
    RING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_lines_and_cuts_long_ones() {
        let mut ring = LogRing::new(3);
        for i in 1..=5 {
            ring.push(&format!("line {i}\n"));
        }
        assert_eq!(ring.text(), "line 3\nline 4\nline 5\n");
        assert_eq!(ring.len(), 3);

        let mut ring = LogRing::new(1);
        // 'я' is two bytes, so the cut falls inside one and must step back.
        ring.push(&format!("a{}", "я".repeat(LINE_BYTES)));
        let kept = ring.text();
        assert!(kept.len() <= LINE_BYTES + "…\n".len(), "{}", kept.len());
        assert!(kept.ends_with("я…\n"), "cut on a character boundary and marked");
    }

    #[test]
    fn events_logged_through_the_layer_reach_the_process_ring() {
        let subscriber = crate::telemetry::get_subscriber("info", crate::config::LogFormat::Json, false, std::io::sink);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(marker = "ring-7f3a", "kept for the developers");
            tracing::debug!("filtered out like every other output");
        });
        let text = recent();
        let line = text.lines().find(|l| l.contains("ring-7f3a")).expect("the event is in the ring");
        assert!(line.contains("INFO") && line.contains("kept for the developers"), "{line}");
        assert!(!line.contains('\x1b') && !line.starts_with('{'), "plain text, whatever the format: {line}");
        assert!(!text.contains("filtered out like every other output"));
    }
}
