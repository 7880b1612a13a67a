//! Logging setup: one subscriber, filtered by `TELEOPS_LOG`, as text or JSON, and always also into
//! the in-memory ring of the last lines (`crate::log_ring`) that `/dev_logs` sends.

use tracing::Subscriber;
use tracing_subscriber::{EnvFilter, fmt::MakeWriter, layer::SubscriberExt};

use crate::config::LogFormat;

/// Builds the subscriber; `sink` lets tests send logs nowhere. Text is coloured only when
/// `color` is set: the binary sets it when standard error is a terminal, so logs written to a
/// file or a pipe carry no escape codes. The same events, filtered alike, also go as plain text
/// into the process's log ring, whatever the sink.
pub fn get_subscriber<Sink>(
    filter: &str,
    format: LogFormat,
    color: bool,
    sink: Sink,
) -> Box<dyn Subscriber + Send + Sync>
where
    Sink: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let ring = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(crate::log_ring::writer());
    let registry = tracing_subscriber::registry().with(filter).with(ring);
    match format {
        LogFormat::Text => Box::new(registry.with(tracing_subscriber::fmt::layer().with_ansi(color).with_writer(sink))),
        LogFormat::Json => Box::new(registry.with(tracing_subscriber::fmt::layer().json().with_writer(sink))),
    }
}

/// Installs the subscriber for the whole process; a second call is ignored.
pub fn init_subscriber(subscriber: Box<dyn Subscriber + Send + Sync>) {
    let _ = tracing::subscriber::set_global_default(subscriber);
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(color: bool) -> String {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = get_subscriber("info", LogFormat::Text, color, move || sink.clone());
        tracing::subscriber::with_default(subscriber, || tracing::info!(answer = 42, "hello"));
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn text_is_coloured_only_when_asked() {
        let plain = logged(false);
        assert!(plain.contains("hello") && plain.contains("answer=42"), "{plain}");
        assert!(!plain.contains('\x1b'), "no escape codes: {plain:?}");
        assert!(logged(true).contains('\x1b'), "a terminal gets colours");
    }
}
