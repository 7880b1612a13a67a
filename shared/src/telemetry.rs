//! Logging setup: one subscriber, filtered by `TELEOPS_LOG`, as text or JSON.

use tracing::Subscriber;
use tracing_subscriber::{EnvFilter, fmt::MakeWriter, layer::SubscriberExt};

use crate::config::LogFormat;

/// Builds the subscriber; `sink` lets tests send logs nowhere.
pub fn get_subscriber<Sink>(filter: &str, format: LogFormat, sink: Sink) -> Box<dyn Subscriber + Send + Sync>
where
    Sink: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Text => Box::new(registry.with(tracing_subscriber::fmt::layer().with_writer(sink))),
        LogFormat::Json => Box::new(registry.with(tracing_subscriber::fmt::layer().json().with_writer(sink))),
    }
}

/// Installs the subscriber for the whole process; a second call is ignored.
pub fn init_subscriber(subscriber: Box<dyn Subscriber + Send + Sync>) {
    let _ = tracing::subscriber::set_global_default(subscriber);
}
