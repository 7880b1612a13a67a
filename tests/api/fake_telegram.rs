//! A fake Telegram Bot API server on loopback: the real teloxide bot long-polls it.
//!
//! Tests push updates (`send_text`, `send_contact`, `press_button`) and read what the bot called
//! (`wait_for`). It answers every method; `sendMessage` to a chat can be made to fail with a 403
//! (blocked) or a 429 (retry-after). It never answers 5xx (teloxide sleeps 10 s after one).
//!
//! Files go both ways: `send_document` gives the bot a document a user sent (served by `getFile`
//! and the `/file/bot<token>/<path>` download), and every `sendDocument` upload is kept whole
//! (`documents_to`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::helpers::eventually_or;

/// One Bot API call the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub body: Value,
    pub at: Instant,
}

impl Call {
    pub fn chat_id(&self) -> Option<i64> {
        self.body.get("chat_id").and_then(Value::as_i64)
    }
    pub fn text(&self) -> &str {
        self.body.get("text").and_then(Value::as_str).unwrap_or("")
    }
}

/// How `sendMessage` to one chat should fail.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    Blocked,
    /// Telegram's current wording for a user who never started the bot.
    NeverStarted,
    RetryAfter {
        seconds: u32,
        times: u32,
    },
}

#[derive(Default)]
struct Inner {
    updates: VecDeque<Value>,
    next_update_id: i64,
    next_message_id: i64,
    calls: Vec<Call>,
    failures: HashMap<i64, Failure>,
    /// Files users sent, by file id.
    files: HashMap<String, Vec<u8>>,
    /// Documents the bot uploaded.
    uploads: Vec<Upload>,
}

/// A document the bot sent (`sendDocument`), whole.
#[derive(Debug, Clone)]
pub struct Upload {
    pub chat_id: Option<i64>,
    pub file_name: String,
    pub caption: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Clone)]
pub struct FakeTelegram {
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    pub url: String,
    server: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        if Arc::strong_count(&self.server) == 1 {
            self.server.abort();
        }
    }
}

pub const BOT_USERNAME: &str = "teleops_test_bot";

impl FakeTelegram {
    pub async fn start() -> Self {
        Self::start_at("127.0.0.1:0").await
    }

    /// The server on `addr` (a port the test reserved, to start it after the app).
    pub async fn start_at(addr: &str) -> Self {
        let inner = Arc::new(Mutex::new(Inner { next_update_id: 1, next_message_id: 1, ..Default::default() }));
        let changed = Arc::new(Notify::new());
        let state = (inner.clone(), changed.clone());
        let app = Router::new()
            .route("/{bot}/{method}", post(handle))
            .route("/file/{bot}/{*path}", get(download))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind fake telegram");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake telegram serves");
        });
        Self { inner, changed, url, server: Arc::new(server) }
    }

    pub fn fail_chat(&self, chat_id: i64, failure: Failure) {
        self.inner.lock().unwrap().failures.insert(chat_id, failure);
    }

    /// Sends to `chat_id` succeed again.
    pub fn heal_chat(&self, chat_id: i64) {
        self.inner.lock().unwrap().failures.remove(&chat_id);
    }

    fn push_update(&self, mut update: Value) {
        let mut inner = self.inner.lock().unwrap();
        update["update_id"] = json!(inner.next_update_id);
        inner.next_update_id += 1;
        inner.updates.push_back(update);
        drop(inner);
        self.changed.notify_waiters();
    }

    fn next_message_id(&self) -> i64 {
        let mut inner = self.inner.lock().unwrap();
        inner.next_message_id += 1;
        inner.next_message_id
    }

    /// A private-chat text message from `user`.
    pub fn send_text(&self, user: &TgUser, text: &str) {
        let mut message = user.message(self.next_message_id());
        message["text"] = json!(text);
        if text.starts_with('/') {
            let len = text.split_whitespace().next().unwrap_or(text).encode_utf16().count();
            message["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": len }]);
        }
        self.push_update(json!({ "message": message }));
    }

    /// A text message from `user` in the group `group_id` (negative).
    pub fn send_group_text(&self, user: &TgUser, group_id: i64, text: &str) {
        let mut message = user.message(self.next_message_id());
        message["chat"] = json!({ "id": group_id, "type": "supergroup", "title": "ops" });
        message["text"] = json!(text);
        if text.starts_with('/') {
            let len = text.split_whitespace().next().unwrap_or(text).encode_utf16().count();
            message["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": len }]);
        }
        self.push_update(json!({ "message": message }));
    }

    /// A message an anonymous group admin sends on behalf of the group: Telegram puts its
    /// shared service account (1087968824) in `from` and the group in `sender_chat`.
    pub fn send_as_group(&self, group_id: i64, text: &str) {
        let anonymous = TgUser::new(1087968824, "Group");
        let mut message = anonymous.message(self.next_message_id());
        message["chat"] = json!({ "id": group_id, "type": "supergroup", "title": "ops" });
        message["sender_chat"] = json!({ "id": group_id, "type": "supergroup", "title": "ops" });
        message["text"] = json!(text);
        message["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": text.split_whitespace().next().unwrap_or(text).encode_utf16().count() }]);
        self.push_update(json!({ "message": message }));
    }

    /// A shared contact; `owner` is whose number it is.
    pub fn send_contact(&self, user: &TgUser, owner: i64, phone: &str) {
        let mut message = user.message(self.next_message_id());
        message["contact"] = json!({ "phone_number": phone, "first_name": "Contact", "user_id": owner });
        self.push_update(json!({ "message": message }));
    }

    /// A document `user` sends in their private chat, with an optional caption; returns its file id.
    pub fn send_document(&self, user: &TgUser, file_name: &str, bytes: &[u8], caption: Option<&str>) -> String {
        let file_id = {
            let mut inner = self.inner.lock().unwrap();
            let file_id = format!("file-{}", inner.files.len() + 1);
            inner.files.insert(file_id.clone(), bytes.to_vec());
            file_id
        };
        let mut message = user.message(self.next_message_id());
        message["document"] = json!({
            "file_id": file_id, "file_unique_id": format!("u{file_id}"),
            "file_name": file_name, "file_size": bytes.len(),
        });
        if let Some(caption) = caption {
            message["caption"] = json!(caption);
            if caption.starts_with('/') {
                let len = caption.split_whitespace().next().unwrap_or(caption).encode_utf16().count();
                message["caption_entities"] = json!([{ "type": "bot_command", "offset": 0, "length": len }]);
            }
        }
        self.push_update(json!({ "message": message }));
        file_id
    }

    /// The documents the bot uploaded to `chat_id`, in order.
    pub fn documents_to(&self, chat_id: i64) -> Vec<Upload> {
        self.inner.lock().unwrap().uploads.iter().filter(|u| u.chat_id == Some(chat_id)).cloned().collect()
    }

    /// Waits until the bot has uploaded `n` documents to `chat_id`; returns them all.
    pub async fn wait_for_documents(&self, chat_id: i64, n: usize) -> Vec<Upload> {
        let this = self.clone();
        eventually_or(
            &format!("{n} documents to {chat_id}"),
            || {
                let this = this.clone();
                async move {
                    let docs = this.documents_to(chat_id);
                    (docs.len() >= n).then_some(docs)
                }
            },
            || format!("{:?}", self.documents_to(chat_id).iter().map(|u| &u.file_name).collect::<Vec<_>>()),
        )
        .await
    }

    /// `user` presses an inline button carrying `data` under a message in their chat.
    pub fn press_button(&self, user: &TgUser, data: &str) {
        self.press_button_in(user, user.id, data);
    }

    /// `user` presses an inline button carrying `data` under a message in `chat_id`.
    pub fn press_button_in(&self, user: &TgUser, chat_id: i64, data: &str) {
        let mut message = user.message(self.next_message_id());
        if chat_id != user.id {
            message["chat"] = json!({ "id": chat_id, "type": "supergroup", "title": "ops" });
        }
        self.push_update(json!({
            "callback_query": {
                "id": format!("cb{}", self.next_message_id()),
                "from": user.json(),
                "chat_instance": "ci",
                "data": data,
                "message": message,
            }
        }));
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Messages sent to `chat_id` so far.
    pub fn messages_to(&self, chat_id: i64) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.method == "sendmessage" && c.chat_id() == Some(chat_id)).collect()
    }

    /// Waits (30 s at most) until a call matches; returns it.
    pub async fn wait_for(&self, what: &str, matches: impl Fn(&Call) -> bool) -> Call {
        self.wait_for_n(what, 1, matches).await.pop().unwrap()
    }

    /// Waits (30 s at most) until `n` calls match; returns them.
    pub async fn wait_for_n(&self, what: &str, n: usize, matches: impl Fn(&Call) -> bool) -> Vec<Call> {
        let calls_seen = || {
            let seen: Vec<String> =
                self.calls().iter().map(|c| format!("{} {} {:?}", c.method, c.body["chat_id"], c.text())).collect();
            format!("{n} of them; calls were:\n{}", seen.join("\n"))
        };
        let found = || {
            let found: Vec<Call> = self.calls().into_iter().filter(|c| matches(c)).collect();
            std::future::ready((found.len() >= n).then_some(found))
        };
        eventually_or(what, found, calls_seen).await
    }

    /// Waits until the message to `chat_id` containing `needle` arrives.
    pub async fn wait_for_text(&self, chat_id: i64, needle: &str) -> Call {
        self.wait_for(&format!("a message to {chat_id} containing {needle:?}"), |c| {
            c.method == "sendmessage" && c.chat_id() == Some(chat_id) && c.text().contains(needle)
        })
        .await
    }

    /// True once the bot has no updates left to fetch.
    pub fn updates_drained(&self) -> bool {
        self.inner.lock().unwrap().updates.is_empty()
    }
}

/// A Telegram user in a private chat with the bot.
#[derive(Debug, Clone)]
pub struct TgUser {
    pub id: i64,
    pub first_name: &'static str,
    pub language_code: &'static str,
    pub username: Option<&'static str>,
}

impl TgUser {
    pub fn new(id: i64, first_name: &'static str) -> Self {
        Self { id, first_name, language_code: "en", username: None }
    }

    pub fn with_username(mut self, username: &'static str) -> Self {
        self.username = Some(username);
        self
    }

    pub fn russian(mut self) -> Self {
        self.language_code = "ru";
        self
    }

    fn json(&self) -> Value {
        let mut user = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name, "language_code": self.language_code });
        if let Some(username) = self.username {
            user["username"] = json!(username);
        }
        user
    }

    fn message(&self, message_id: i64) -> Value {
        json!({
            "message_id": message_id,
            "date": chrono::Utc::now().timestamp(),
            "chat": { "id": self.id, "type": "private", "first_name": self.first_name },
            "from": self.json(),
        })
    }
}

type AppState = (Arc<Mutex<Inner>>, Arc<Notify>);

async fn handle(
    State((inner, changed)): State<AppState>,
    Path((_bot, method)): Path<(String, String)>,
    raw: axum::body::Bytes,
) -> Json<Value> {
    let method = method.to_ascii_lowercase();
    let body: Value = serde_json::from_slice(&raw).unwrap_or_else(|_| multipart_summary(&raw));
    if method == "senddocument" {
        // teloxide sends `document` as `attach://<part>` and the file in that part.
        let part = multipart_part(&raw, "document")
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.strip_prefix("attach://").map(str::to_owned))
            .unwrap_or_else(|| "document".into());
        let upload = Upload {
            chat_id: body.get("chat_id").and_then(Value::as_i64),
            file_name: multipart_file_name(&raw, &part).unwrap_or_default(),
            caption: body.get("caption").and_then(Value::as_str).map(str::to_owned),
            bytes: multipart_part(&raw, &part).unwrap_or_default(),
        };
        inner.lock().unwrap().uploads.push(upload);
    }
    if method == "getupdates" {
        return Json(get_updates(&inner, &changed, &body).await);
    }
    let reply = {
        let mut inner = inner.lock().unwrap();
        let chat_id = body.get("chat_id").and_then(Value::as_i64);
        let failure = chat_id.and_then(|id| inner.failures.get(&id).copied());
        let call = Call { method: method.clone(), body: body.clone(), at: Instant::now() };
        inner.calls.push(call);
        // Telegram measures lengths in UTF-16 units and refuses what is over its limits.
        let units = |field: &str| body.get(field).and_then(Value::as_str).map_or(0, |t| t.encode_utf16().count());
        let too_long = match method.as_str() {
            "sendmessage" | "editmessagetext" if units("text") > 4096 => Some("Bad Request: message is too long"),
            "sendphoto" if units("caption") > 1024 => Some("Bad Request: message caption is too long"),
            _ => None,
        };
        if let Some(description) = too_long {
            return Json(json!({ "ok": false, "error_code": 400, "description": description }));
        }
        match (method.as_str(), failure) {
            ("sendmessage", Some(Failure::Blocked)) => {
                json!({ "ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user" })
            }
            ("sendmessage", Some(Failure::NeverStarted)) => json!({
                "ok": false, "error_code": 403,
                "description": "Forbidden: bot can't initiate conversation with a user"
            }),
            ("sendmessage", Some(Failure::RetryAfter { seconds, times })) if times > 0 => {
                let id = chat_id.unwrap();
                inner.failures.insert(id, Failure::RetryAfter { seconds, times: times - 1 });
                json!({
                    "ok": false, "error_code": 429,
                    "description": format!("Too Many Requests: retry after {seconds}"),
                    "parameters": { "retry_after": seconds }
                })
            }
            ("getme", _) => json!({ "ok": true, "result": {
                "id": 42, "is_bot": true, "first_name": "teleops", "username": BOT_USERNAME,
                "can_join_groups": true, "can_read_all_group_messages": false,
                "supports_inline_queries": false, "can_connect_to_business": false, "has_main_web_app": false
            }}),
            ("getfile", _) => {
                let file_id = body.get("file_id").and_then(Value::as_str).unwrap_or("");
                match inner.files.get(file_id) {
                    Some(bytes) => json!({ "ok": true, "result": {
                        "file_id": file_id, "file_unique_id": format!("u{file_id}"),
                        "file_size": bytes.len(), "file_path": format!("documents/{file_id}"),
                    }}),
                    None => json!({ "ok": false, "error_code": 400, "description": "Bad Request: invalid file_id" }),
                }
            }
            // Like Telegram, an edit of a chat's message returns the message (`true` is for inline ones).
            ("sendmessage" | "editmessagetext" | "editmessagereplymarkup" | "sendphoto" | "senddocument", _) => {
                inner.next_message_id += 1;
                let chat = chat_id.unwrap_or(0);
                json!({ "ok": true, "result": {
                    "message_id": inner.next_message_id,
                    "date": chrono::Utc::now().timestamp(),
                    "chat": { "id": chat, "type": if chat < 0 { "group" } else { "private" }, "first_name": "x", "title": "g" },
                    "text": body.get("text").cloned().unwrap_or(json!("")),
                }})
            }
            ("getwebhookinfo", _) => {
                json!({ "ok": true, "result": { "url": "", "has_custom_certificate": false, "pending_update_count": 0 } })
            }
            _ => json!({ "ok": true, "result": true }),
        }
    };
    changed.notify_waiters();
    Json(reply)
}

async fn get_updates(inner: &Mutex<Inner>, changed: &Notify, body: &Value) -> Value {
    let offset = body.get("offset").and_then(Value::as_i64).unwrap_or(0);
    // Long poll, but briefly, so a bot shutting down is not held for teloxide's full timeout.
    let deadline = Instant::now() + Duration::from_millis(300);
    loop {
        let notified = changed.notified();
        {
            let mut inner = inner.lock().unwrap();
            inner.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            if !inner.updates.is_empty() {
                let updates: Vec<Value> = inner.updates.iter().cloned().collect();
                return json!({ "ok": true, "result": updates });
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return json!({ "ok": true, "result": [] });
        }
        let _ = tokio::time::timeout(left, notified).await;
    }
}

/// A downloaded file (`/file/bot<token>/documents/<file id>`).
async fn download(
    State((inner, _)): State<AppState>,
    Path((_bot, path)): Path<(String, String)>,
) -> Result<Vec<u8>, axum::http::StatusCode> {
    let file_id = path.rsplit('/').next().unwrap_or("");
    inner.lock().unwrap().files.get(file_id).cloned().ok_or(axum::http::StatusCode::NOT_FOUND)
}

/// The bytes of the multipart part named `name`, whole (binary-safe): the body's first line is the
/// delimiter, and a part ends at the next one.
fn multipart_part(raw: &[u8], name: &str) -> Option<Vec<u8>> {
    let delimiter = &raw[..raw.windows(2).position(|w| w == b"\r\n")?];
    let needle = format!("name=\"{name}\"");
    let at = find(raw, needle.as_bytes())?;
    let start = at + find(&raw[at..], b"\r\n\r\n")? + 4;
    let mut end_marker = b"\r\n".to_vec();
    end_marker.extend_from_slice(delimiter);
    let len = find(&raw[start..], &end_marker)?;
    Some(raw[start..start + len].to_vec())
}

/// The `filename` of the multipart part named `name`.
fn multipart_file_name(raw: &[u8], name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let at = find(raw, needle.as_bytes())?;
    let line_end = at + find(&raw[at..], b"\r\n")?;
    let line = String::from_utf8_lossy(&raw[at..line_end]);
    let start = line.find("filename=\"")? + "filename=\"".len();
    Some(line[start..].split('"').next()?.to_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A multipart upload (sendPhoto) as JSON: its chat id, caption, and the size and first bytes of the
/// file part, enough for tests to assert on.
fn multipart_summary(raw: &[u8]) -> Value {
    let text = String::from_utf8_lossy(raw);
    let field = |name: &str| -> Option<String> {
        let start = text.find(&format!("name=\"{name}\""))?;
        let rest = &text[start..];
        let value_start = rest.find("\r\n\r\n")? + 4;
        let value_end = rest[value_start..].find("\r\n--")?;
        Some(rest[value_start..value_start + value_end].to_owned())
    };
    let png = raw.windows(8).position(|w| w == b"\x89PNG\r\n\x1a\n");
    json!({
        "chat_id": field("chat_id").and_then(|v| v.trim().parse::<i64>().ok()),
        "caption": field("caption"),
        "png_bytes": png.map(|at| raw.len() - at),
    })
}
