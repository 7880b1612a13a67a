//! The dashboard role: the apalis-board queue UI at `/` with its API at `/api/v1`, teleops' own
//! admin API under `/api` (counts, dead jobs, and jobs to list, retry and delete: [`jobs`]),
//! `GET /health` (no auth) and `GET /metrics` (Prometheus text).
//!
//! Everything but `/health` requires the dashboard token (bearer, or basic-auth password) when one
//! is set. Without a token the settings only allow a loopback address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use apalis_board::axum::framework::{ApiBuilder, RegisterRoute};
use apalis_board::axum::ui::ServeUI;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use shared::clock::SharedClock;
use shared::config::Secret;
use shared::entities::system_state::{self, LAST_HEARTBEAT};
use shared::metrics::Metrics;
use shared::queue::redis::board::RedisBoard;
use shared::queue::{Queue, Store};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

mod jobs;

/// What the handlers use.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub metrics: Metrics,
    pub clock: SharedClock,
    pub token: Option<Secret<String>>,
    /// Every queue the slices declare, for the board and the counts.
    pub queues: Arc<[&'static str]>,
}

/// A heartbeat older than this means the pipeline is stalled, and `/health` answers 503.
pub const STALE_HEARTBEAT: Duration = Duration::from_secs(300);

/// The whole router; tests call it without a socket.
pub fn app(state: AppState) -> Router {
    let mut board = ApiBuilder::new(Router::new());
    for queue in state.queues.iter().copied() {
        board = match state.queue.store() {
            Store::Sqlite(store) => board.register(queue, store.board_storage(queue)),
            Store::Redis(store) => board.register(queue, RedisBoard::new(store.clone(), queue)),
        };
    }
    let protected = Router::new()
        .route("/metrics", get(metrics))
        .route("/api/queues", get(queue_counts))
        .route("/api/dead", get(dead_jobs))
        .merge(jobs::routes())
        .nest_service("/api/v1", board.build())
        .fallback_service(ServeUI::new())
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/health", get(health))
        .merge(protected)
        // Outermost: a request that hangs is cut off rather than holding a connection forever.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Binds the listener; port 0 picks a free port, reported by the returned address.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener =
        TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("dashboard cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves until `shutdown`, then finishes open requests.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: CancellationToken) -> anyhow::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown.cancelled_owned()).await?;
    Ok(())
}

async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = &state.token else {
        // Without a token only this machine may ask, and a page elsewhere must not either: a
        // DNS-rebinding page reaches a loopback port under its own name, so the Host is checked.
        let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok());
        if host.is_some_and(|h| !is_loopback_host(h)) {
            return (
                StatusCode::FORBIDDEN,
                "without TELEOPS_DASHBOARD_TOKEN the dashboard answers only to localhost, 127.0.0.1 or [::1]\n",
            )
                .into_response();
        }
        return next.run(request).await;
    };
    let presented = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
        if let Some(bearer) = v.strip_prefix("Bearer ") {
            return Some(bearer.trim().to_owned());
        }
        let basic = v.strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(basic.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        Some(text.split_once(':').map(|(_, password)| password.to_owned()).unwrap_or(text))
    });
    match presented {
        Some(p) if constant_time_eq(p.as_bytes(), token.expose().as_bytes()) => next.run(request).await,
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"teleops\"")],
            "a dashboard token is required (Authorization: Bearer <token>)\n",
        )
            .into_response(),
    }
}

/// Whether a Host header names this machine: `localhost`, a 127.0.0.0/8 address or `[::1]`, with
/// or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => {
            host.rsplit_once(':').map_or(host, |(name, port)| if port.parse::<u16>().is_ok() { name } else { host })
        }
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Compares without an early exit, so the time taken does not reveal how much of a guess matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    database: String,
    queue: String,
    /// "ok" (recent, or none recorded yet), "stale", or "error: ..." when it could not be read.
    heartbeat: String,
    last_heartbeat: Option<HeartbeatAge>,
}

#[derive(serde::Serialize)]
struct HeartbeatAge {
    slot: i64,
    recorded_at: String,
    age_seconds: i64,
}

async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => "ok".to_owned(),
        Err(e) => format!("error: {e}"),
    };
    let queue = match state.queue.ping().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("error: {e}"),
    };
    // A heartbeat that cannot be read is a failure, not "no heartbeat yet".
    let (heartbeat, last_heartbeat) =
        match system_state::Entity::find_by_id(LAST_HEARTBEAT.to_owned()).one(&state.db).await {
            Ok(Some(row)) => {
                let age = HeartbeatAge {
                    slot: row.value.parse().unwrap_or_default(),
                    recorded_at: row.updated_at.to_rfc3339(),
                    age_seconds: (state.clock.now() - row.updated_at).num_seconds().max(0),
                };
                let stale = age.age_seconds as u64 > STALE_HEARTBEAT.as_secs();
                ((if stale { "stale" } else { "ok" }).to_owned(), Some(age))
            }
            Ok(None) => ("ok".to_owned(), None),
            Err(e) => (format!("error: {e}"), None),
        };
    let healthy = database == "ok" && queue == "ok" && heartbeat == "ok";
    let code = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let status = if healthy { "ok" } else { "unavailable" };
    (code, Json(Health { status, database, queue, heartbeat, last_heartbeat }))
}

async fn metrics(State(state): State<AppState>) -> Response {
    match state.queue.counts(&state.queues).await {
        Ok(counts) => {
            for c in counts {
                for (name, value) in
                    [("pending", c.pending), ("running", c.running), ("done", c.done), ("dead", c.dead)]
                {
                    state.metrics.queue_depth.with_label_values(&[c.queue.as_str(), name]).set(value);
                }
            }
        }
        Err(e) => tracing::warn!(error.message = %e, "queue depth unavailable for /metrics"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

async fn queue_counts(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(Json(state.queue.counts(&state.queues).await?).into_response())
}

#[derive(serde::Deserialize)]
struct Page {
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn dead_jobs(State(state): State<AppState>, Query(page): Query<Page>) -> Result<Response, AppError> {
    let per_page = i64::from(page.per_page.unwrap_or(50).clamp(1, 500));
    let offset = i64::from(page.page.unwrap_or(1).max(1) - 1) * per_page;
    Ok(Json(state.queue.dead(per_page, offset).await?).into_response())
}

/// An unexpected failure: logged once here, answered generically.
struct AppError(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for AppError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!(error.cause_chain = ?self.0, error.message = %self.0, "dashboard request failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machines_names_are_loopback_hosts() {
        for host in ["localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:8080", "127.9.9.9:1", "[::1]", "[::1]:8080"]
        {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in
            ["evil.example", "evil.example:8080", "localhost.evil.example", "10.0.0.1:8080", "0.0.0.0", "[::]:80"]
        {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
