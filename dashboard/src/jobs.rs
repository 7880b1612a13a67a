//! `/api/jobs`: the queue's jobs through the facade, the same on every backend. Listing and
//! reading are open to whoever holds the dashboard token; retrying a dead job and deleting a job
//! are changes, written to the audit log as the dashboard's.
//!
//! - `GET /api/jobs?queue=&state=&key=&page=&per_page=`: jobs in enqueue order (50 a page).
//! - `GET /api/jobs/{id}`: one job, or 404.
//! - `POST /api/jobs/{id}/retry`: a dead job runs again with its attempts back; 409 otherwise.
//! - `DELETE /api/jobs/{id}`: 204; 409 while it runs (or when there is no such job).
//! - `POST /api/queues/{queue}/pause` and `/resume`: workers of every process stop taking jobs
//!   from the queue (running ones finish; enqueues still add) or take them again; 204, or 404
//!   for a queue no slice declares. `GET /api/queues` shows `paused`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::audit::{self, Actor, Entry};
use shared::queue::{JobFilter, JobState};

use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/jobs", get(list))
        .route("/api/jobs/{id}", get(one).delete(delete))
        .route("/api/jobs/{id}/retry", post(retry))
        .route("/api/queues/{queue}/pause", post(pause))
        .route("/api/queues/{queue}/resume", post(resume))
}

async fn pause(state: State<AppState>, queue: Path<String>) -> Result<Response, AppError> {
    set_paused(state, queue, true).await
}

async fn resume(state: State<AppState>, queue: Path<String>) -> Result<Response, AppError> {
    set_paused(state, queue, false).await
}

async fn set_paused(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    paused: bool,
) -> Result<Response, AppError> {
    if !state.queues.contains(&queue.as_str()) {
        return Ok((StatusCode::NOT_FOUND, "no such queue\n").into_response());
    }
    state.queue.set_paused(&queue, paused).await?;
    let action = if paused { "queue.pause" } else { "queue.resume" };
    audit::record(&state.db, Actor::dashboard(), state.clock.now(), Entry::new(action, "queue", &queue)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(serde::Deserialize)]
struct ListQuery {
    queue: Option<String>,
    state: Option<JobState>,
    key: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn list(State(state): State<AppState>, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let per_page = u64::from(q.per_page.unwrap_or(50).clamp(1, 500));
    let offset = u64::from(q.page.unwrap_or(1).max(1) - 1) * per_page;
    let filter = JobFilter { queue: q.queue, state: q.state, idempotency_key: q.key };
    Ok(Json(state.queue.list(&filter, per_page, offset).await?).into_response())
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(match state.queue.get(&id).await? {
        Some(job) => Json(job).into_response(),
        None => (StatusCode::NOT_FOUND, "no such job\n").into_response(),
    })
}

async fn retry(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    if !state.queue.retry(&id).await? {
        return Ok((StatusCode::CONFLICT, "only a dead job can be retried\n").into_response());
    }
    audit::record(&state.db, Actor::dashboard(), state.clock.now(), Entry::new("job.retry", "job", &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    if !state.queue.delete(&id).await? {
        return Ok((StatusCode::CONFLICT, "no such job, or it is running\n").into_response());
    }
    audit::record(&state.db, Actor::dashboard(), state.clock.now(), Entry::new("job.delete", "job", &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
