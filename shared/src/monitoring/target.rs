//! Monitor targets as users type them: an http(s) URL is an HTTP check, `tcp://host:port` a TCP
//! connect, and a bare host name or IP address an ICMP ping.
//!
//! A target is at most [`MAX_CHARS`] characters. A password in a URL (`https://user:pw@host/`) is
//! a secret: [`Target::take_password`] splits it off before the target is stored (the password goes
//! to an encrypted column), [`Target::with_password`] puts it back for the probe, and [`masked`]
//! is how a stored target is shown: `https://user:•••@host/`, shortened for lists.

use std::fmt;
use std::net::IpAddr;

use sea_orm::ActiveEnum;
use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};

use crate::config::Secret;
use crate::crypto::{CryptoError, Encrypted};

/// The three kinds of check. It is also the `monitors.kind` column: the stored texts (`http`,
/// `tcp`, `ping`) are the `string_value`s, and the same words name a kind in button data and
/// dialogue state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, EnumIter, DeriveActiveEnum)]
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum CheckKind {
    #[sea_orm(string_value = "http")]
    Http,
    #[sea_orm(string_value = "tcp")]
    Tcp,
    #[sea_orm(string_value = "ping")]
    Ping,
}

/// A validated target. Construct with [`Target::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Http(url::Url),
    Tcp { host: String, port: u16 },
    Ping { host: String },
}

/// Why a target was refused; the text is shown to the user with an example.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing was given.
    #[error("no target given")]
    Empty,
    /// An http(s) URL that does not parse.
    #[error("{0:?} is not a valid URL")]
    BadUrl(String),
    /// A scheme teleops cannot check.
    #[error("{0}:// targets are not supported (use http://, https://, tcp:// or a host name)")]
    Scheme(String),
    /// `tcp://` without a usable port.
    #[error("{0:?} needs a port from 1 to 65535, like tcp://db.example.com:5432")]
    TcpPort(String),
    /// Not a host name or IP address.
    #[error("{0:?} is not a host name or IP address")]
    BadHost(String),
    /// Longer than [`MAX_CHARS`].
    #[error("the target is {0} characters long; at most {MAX_CHARS} are accepted")]
    TooLong(usize),
    /// A valid target of another kind than the one asked for (in `/add`).
    #[error("{input:?} is not a {} target", kind.to_value())]
    WrongKind { input: String, kind: CheckKind },
}

/// The longest target accepted, in characters.
pub const MAX_CHARS: usize = 512;

/// A target's stored form (URL-encoded: non-ASCII text grows) is at most this many bytes.
pub const MAX_STORED: usize = 2048;

/// How long a target is shown where it is the subject (a reply about one monitor), in UTF-16 units.
pub const SHOWN_MAX: usize = 600;

/// How long a target is shown in a line among others (lists, alerts, captions), in UTF-16 units.
pub const SHOWN_IN_LINE: usize = 80;

/// What a masked password shows as.
pub const PASSWORD_MASK: &str = "•••";

impl Target {
    pub fn parse(input: &str) -> Result<Self, TargetError> {
        Self::parse_unchecked(input)?.within_stored_limit()
    }

    fn parse_unchecked(input: &str) -> Result<Self, TargetError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(TargetError::Empty);
        }
        let chars = input.chars().count();
        if chars > MAX_CHARS {
            return Err(TargetError::TooLong(chars));
        }
        if let Some((scheme, _)) = input.split_once("://") {
            let scheme = scheme.to_ascii_lowercase();
            return match scheme.as_str() {
                "http" | "https" => {
                    let url = url::Url::parse(input).map_err(|_| TargetError::BadUrl(input.to_owned()))?;
                    match url.host_str() {
                        Some(host) if valid_host(host.trim_start_matches('[').trim_end_matches(']')) => {
                            Ok(Target::Http(url))
                        }
                        _ => Err(TargetError::BadUrl(input.to_owned())),
                    }
                }
                "tcp" => {
                    let url = url::Url::parse(input).map_err(|_| TargetError::TcpPort(input.to_owned()))?;
                    let host = url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned());
                    match (host, url.port()) {
                        (Some(host), Some(port)) if port > 0 && valid_host(&host) => Ok(Target::Tcp { host, port }),
                        (Some(host), _) if !valid_host(&host) => Err(TargetError::BadHost(host)),
                        _ => Err(TargetError::TcpPort(input.to_owned())),
                    }
                }
                other => Err(TargetError::Scheme(other.to_owned())),
            };
        }
        let host = input.trim_start_matches('[').trim_end_matches(']');
        if valid_host(host) {
            Ok(Target::Ping { host: host.to_ascii_lowercase() })
        } else {
            Err(TargetError::BadHost(input.to_owned()))
        }
    }

    /// Refuses a target whose stored form outgrows [`MAX_STORED`] (percent-encoding, punycode).
    fn within_stored_limit(self) -> Result<Self, TargetError> {
        let stored = self.to_string().len();
        if stored > MAX_STORED { Err(TargetError::TooLong(stored)) } else { Ok(self) }
    }

    /// `host:port` typed without a scheme, as the TCP target it most likely means; None for
    /// anything else (a URL, a bare host, an IPv6 address without brackets). [`Target::parse`]
    /// refuses such input, and the bot suggests `tcp://` (or a URL) rather than guessing.
    pub fn host_and_port(input: &str) -> Option<Target> {
        let input = input.trim();
        if input.contains("://") || input.contains('/') {
            return None;
        }
        let (host, port) = match input.strip_prefix('[') {
            Some(rest) => rest.split_once("]:")?,
            None => input.rsplit_once(':').filter(|(host, _)| !host.contains(':'))?,
        };
        let port = port.parse::<u16>().ok().filter(|p| *p > 0)?;
        valid_host(host).then(|| Target::Tcp { host: host.to_ascii_lowercase(), port })
    }

    pub fn kind(&self) -> CheckKind {
        match self {
            Target::Http(_) => CheckKind::Http,
            Target::Tcp { .. } => CheckKind::Tcp,
            Target::Ping { .. } => CheckKind::Ping,
        }
    }

    /// Removes the password of an http(s) URL and returns it: the target is then safe to store and
    /// show. Other kinds have none.
    pub fn take_password(&mut self) -> Option<Secret<String>> {
        let Target::Http(url) = self else { return None };
        let password = url.password().map(str::to_owned)?;
        // Clearing a password cannot fail for a URL that has one (it has a host).
        let _ = url.set_password(None);
        Some(Secret::new(password))
    }

    /// [`take_password`](Self::take_password), sealed for storing (in a column or in dialogue
    /// state); sealing needs the process's keyring.
    pub fn seal_password(&mut self) -> Result<Option<Encrypted<String>>, CryptoError> {
        self.take_password().map(|p| Encrypted::new(p.expose().clone())).transpose()
    }

    /// The target with `password` put back (the stored, still percent-encoded form), for the probe.
    pub fn with_password(mut self, password: Option<&str>) -> Self {
        if let (Target::Http(url), Some(password)) = (&mut self, password) {
            let _ = url.set_password(Some(password));
        }
        self
    }

    /// How this target is shown before it is stored: its password masked, at most `max` UTF-16
    /// units long (see [`masked`]).
    pub fn shown(&self, max: usize) -> String {
        let mut bare = self.clone();
        let has_password = bare.take_password().is_some();
        masked(&bare.to_string(), has_password, max)
    }

    /// The host to resolve and check against the probe policy.
    pub fn host(&self) -> &str {
        match self {
            Target::Http(url) => url.host_str().unwrap_or(""),
            Target::Tcp { host, .. } | Target::Ping { host } => host,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Http(url) => write!(f, "{url}"),
            Target::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Target::Ping { host } => write!(f, "{host}"),
        }
    }
}

/// A stored target as users see it: with `•••` where its password is when it has one, and at most
/// `max` UTF-16 units as Telegram counts them (ending in "…" when cut).
pub fn masked(target: &str, has_password: bool, max: usize) -> String {
    let shown = if has_password {
        match target.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@').filter(|(user, _)| !user.contains('/')) {
                Some((user, host)) => format!("{scheme}://{user}:{PASSWORD_MASK}@{host}"),
                None => format!("{scheme}://:{PASSWORD_MASK}@{rest}"),
            },
            None => target.to_owned(),
        }
    } else {
        target.to_owned()
    };
    crate::text::shorten(&shown, max).into_owned()
}

/// An IP address, or a DNS name of letters, digits, hyphens and dots (labels of 1..=63, total <= 253).
fn valid_host(host: &str) -> bool {
    if host.parse::<IpAddr>().is_ok() {
        return true;
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        // A bare number like "12345" is neither a name nor an address.
        && !host.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<(&str, CheckKind), TargetError>) {
        let got = Target::parse(input).map(|t| (t.to_string(), t.kind()));
        let expected = expected.map(|(s, k)| (s.to_owned(), k));
        assert_eq!(got, expected, "{input}");
    }

    #[test]
    fn kinds_follow_the_shape_of_the_input() {
        check("https://example.com/health", Ok(("https://example.com/health", CheckKind::Http)));
        check("http://10.0.0.5:8080", Ok(("http://10.0.0.5:8080/", CheckKind::Http)));
        check("HTTPS://Example.COM", Ok(("https://example.com/", CheckKind::Http)));
        check("tcp://db.internal:5432", Ok(("tcp://db.internal:5432", CheckKind::Tcp)));
        check("tcp://[::1]:22", Ok(("tcp://[::1]:22", CheckKind::Tcp)));
        check("example.com", Ok(("example.com", CheckKind::Ping)));
        check("192.168.1.1", Ok(("192.168.1.1", CheckKind::Ping)));
        check("::1", Ok(("::1", CheckKind::Ping)));
        check("Router-1.LAN", Ok(("router-1.lan", CheckKind::Ping)));
    }

    #[test]
    fn host_and_port_without_a_scheme_is_recognised_as_a_port_check() {
        let tcp = |input: &str| Target::host_and_port(input).map(|t| t.to_string());
        assert_eq!(tcp("127.0.0.1:1").as_deref(), Some("tcp://127.0.0.1:1"));
        assert_eq!(tcp(" DB.example.com:5432 ").as_deref(), Some("tcp://db.example.com:5432"));
        assert_eq!(tcp("[::1]:22").as_deref(), Some("tcp://[::1]:22"));
        for not in ["::1", "localhost", "example.com:0", "example.com:http", "https://x.org:443", "x.org:80/health"] {
            assert_eq!(tcp(not), None, "{not}");
        }
        assert_eq!(Target::parse("127.0.0.1:1"), Err(TargetError::BadHost("127.0.0.1:1".into())), "never a guess");
    }

    #[test]
    fn bad_targets_say_what_is_wrong() {
        check("", Err(TargetError::Empty));
        check("  ", Err(TargetError::Empty));
        check("ftp://files.example.com", Err(TargetError::Scheme("ftp".into())));
        check("tcp://db.internal", Err(TargetError::TcpPort("tcp://db.internal".into())));
        check("tcp://db.internal:0", Err(TargetError::TcpPort("tcp://db.internal:0".into())));
        check("tcp://db.internal:99999", Err(TargetError::TcpPort("tcp://db.internal:99999".into())));
        check("http://", Err(TargetError::BadUrl("http://".into())));
        check("not a host", Err(TargetError::BadHost("not a host".into())));
        check("-bad-.com", Err(TargetError::BadHost("-bad-.com".into())));
        check("12345", Err(TargetError::BadHost("12345".into())));
        check("999.1.1.1", Err(TargetError::BadHost("999.1.1.1".into())));
        assert!(TargetError::TcpPort("x".into()).to_string().contains("tcp://db.example.com:5432"));
        let long = format!("https://example.com/{}", "a".repeat(MAX_CHARS));
        check(&long, Err(TargetError::TooLong(MAX_CHARS + 20)));
        check(&long[..MAX_CHARS], Ok((&long[..MAX_CHARS], CheckKind::Http)));
        // 500 Cyrillic letters are 500 characters typed but 6,000 bytes once URL-encoded.
        let encoded = format!("https://example.com/{}", "ж".repeat(480));
        assert_eq!(Target::parse(&encoded), Err(TargetError::TooLong(20 + 480 * 6)));
    }

    #[test]
    fn a_password_is_split_off_and_shown_masked() {
        let mut target = Target::parse("https://admin:s3cr%40t@example.com/health").unwrap();
        let password = target.take_password().unwrap();
        assert_eq!(password.expose(), "s3cr%40t");
        let stored = target.to_string();
        assert_eq!(stored, "https://admin@example.com/health");
        assert!(!stored.contains("s3cr"));
        assert_eq!(masked(&stored, true, 100), "https://admin:•••@example.com/health");
        let probed = Target::parse(&stored).unwrap().with_password(Some(password.expose()));
        assert_eq!(probed.to_string(), "https://admin:s3cr%40t@example.com/health");

        // A password without a user name, and a target with neither.
        let mut bare = Target::parse("http://:pw@10.0.0.1/a@b").unwrap();
        assert_eq!(bare.take_password().unwrap().expose(), "pw");
        assert_eq!(masked(&bare.to_string(), true, 100), "http://:•••@10.0.0.1/a@b");
        let mut plain = Target::parse("https://user@example.com/").unwrap();
        assert!(plain.take_password().is_none());
        assert!(Target::parse("tcp://db:5432").unwrap().take_password().is_none());
        assert_eq!(masked("https://example.com/a@b", false, 100), "https://example.com/a@b");
    }

    #[test]
    fn masked_targets_are_shortened_for_lists() {
        let long = format!("https://example.com/{}", "ж".repeat(300));
        let shown = masked(&long, false, 60);
        assert_eq!(crate::text::utf16_len(&shown), 60);
        assert!(shown.ends_with('…'));
    }
}
