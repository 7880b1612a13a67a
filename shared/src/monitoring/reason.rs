//! A check failure's [`Reason`] at rest and in words: the stable text stored in
//! `check_results.reason` and `monitors.last_reason` (`refused`, `http_status:503`,
//! `timeout:10000`, `other:<detail>`), read back into the enum, and rendered in the reader's
//! language from the slice's catalogue at display time. A text that is no stored form (rows written
//! before reasons were typed held English sentences) reads as [`Reason::Other`], or as the variant
//! whose old sentence it is, so nothing stored is ever unreadable.

use std::time::Duration;

use crate::i18n::Lang;
use crate::monitoring::alerts::Reason;
use crate::monitoring::texts::{Text, t};

impl Reason {
    /// The stored form: a code, then `:` and the value for variants that carry one. The codes are
    /// part of the schema: never change one, add a new code for a new variant.
    pub fn stored(&self) -> String {
        match self {
            Reason::HttpStatus(code) => format!("http_status:{code}"),
            Reason::Timeout(d) => format!("timeout:{}", d.as_millis()),
            Reason::KeywordMissing(k) => format!("keyword_missing:{k}"),
            Reason::KeywordPresent(k) => format!("keyword_present:{k}"),
            Reason::PingLoss { received, sent } => format!("ping_loss:{received}/{sent}"),
            Reason::Refused => "refused".into(),
            Reason::Unresolvable(host) => format!("dns:{host}"),
            Reason::Tls(detail) => format!("tls:{detail}"),
            Reason::CertExpired => "cert_expired".into(),
            Reason::NotPermitted(ip) => format!("not_permitted:{ip}"),
            Reason::IcmpUnavailable => "icmp_unavailable".into(),
            Reason::TooManyRedirects => "too_many_redirects".into(),
            Reason::Other(detail) => format!("other:{detail}"),
        }
    }

    /// Reads a stored reason back; any other text is a reason stored before reasons were typed.
    pub fn from_stored(text: &str) -> Reason {
        let (code, value) = text.split_once(':').unwrap_or((text, ""));
        let typed = match (code, value) {
            ("http_status", v) => v.parse().ok().map(Reason::HttpStatus),
            ("timeout", v) => v.parse().ok().map(|ms| Reason::Timeout(Duration::from_millis(ms))),
            ("keyword_missing", k) => Some(Reason::KeywordMissing(k.to_owned())),
            ("keyword_present", k) => Some(Reason::KeywordPresent(k.to_owned())),
            ("ping_loss", v) => v
                .split_once('/')
                .and_then(|(r, s)| Some(Reason::PingLoss { received: r.parse().ok()?, sent: s.parse().ok()? })),
            ("refused", "") => Some(Reason::Refused),
            ("dns", host) => Some(Reason::Unresolvable(host.to_owned())),
            ("tls", detail) => Some(Reason::Tls(detail.to_owned())),
            ("cert_expired", "") => Some(Reason::CertExpired),
            ("not_permitted", ip) => Some(Reason::NotPermitted(ip.to_owned())),
            ("icmp_unavailable", "") => Some(Reason::IcmpUnavailable),
            ("too_many_redirects", "") => Some(Reason::TooManyRedirects),
            ("other", detail) => Some(Reason::Other(detail.to_owned())),
            _ => None,
        };
        typed.or_else(|| legacy(text)).unwrap_or_else(|| Reason::Other(text.to_owned()))
    }

    /// The reason in words, in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        t(lang, Text::FailureReason { reason: self })
    }
}

/// The English sentences reasons were stored as before they were typed, for the variants whose
/// sentence says all there is; the rest stay [`Reason::Other`] with the sentence as it was.
fn legacy(text: &str) -> Option<Reason> {
    match text {
        "connection refused" => return Some(Reason::Refused),
        "ICMP not permitted here" => return Some(Reason::IcmpUnavailable),
        _ => {}
    }
    if let Some(code) = text.strip_prefix("HTTP ") {
        return code.parse().ok().map(Reason::HttpStatus);
    }
    if let Some(d) = text.strip_prefix("timeout after ") {
        return crate::duration::parse(d).ok().map(Reason::Timeout);
    }
    let (lost, sent) = text.strip_prefix("ping loss ")?.split_once('/')?;
    let (lost, sent): (u32, u32) = (lost.parse().ok()?, sent.parse().ok()?);
    Some(Reason::PingLoss { received: sent.checked_sub(lost)?, sent })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_reason() -> Vec<Reason> {
        vec![
            Reason::HttpStatus(503),
            Reason::Timeout(Duration::from_secs(10)),
            Reason::KeywordMissing("Welcome: home".into()),
            Reason::KeywordPresent("Error".into()),
            Reason::PingLoss { received: 1, sent: 3 },
            Reason::Refused,
            Reason::Unresolvable("nowhere.invalid".into()),
            Reason::Tls("invalid peer certificate: UnknownIssuer".into()),
            Reason::CertExpired,
            Reason::NotPermitted("10.0.0.1".into()),
            Reason::IcmpUnavailable,
            Reason::TooManyRedirects,
            Reason::Other("connection reset: by peer".into()),
        ]
    }

    #[test]
    fn every_reason_reads_back_from_its_stored_form() {
        for reason in every_reason() {
            assert_eq!(Reason::from_stored(&reason.stored()), reason, "{}", reason.stored());
        }
    }

    #[test]
    fn stored_forms_are_pinned() {
        // The texts are part of the schema: a change here needs a data migration.
        let stored: Vec<String> = every_reason().iter().map(Reason::stored).collect();
        assert_eq!(
            stored,
            [
                "http_status:503",
                "timeout:10000",
                "keyword_missing:Welcome: home",
                "keyword_present:Error",
                "ping_loss:1/3",
                "refused",
                "dns:nowhere.invalid",
                "tls:invalid peer certificate: UnknownIssuer",
                "cert_expired",
                "not_permitted:10.0.0.1",
                "icmp_unavailable",
                "too_many_redirects",
                "other:connection reset: by peer",
            ]
        );
    }

    #[test]
    fn old_free_text_rows_still_read() {
        assert_eq!(Reason::from_stored("connection refused"), Reason::Refused);
        assert_eq!(Reason::from_stored("HTTP 502"), Reason::HttpStatus(502));
        assert_eq!(Reason::from_stored("timeout after 5s"), Reason::Timeout(Duration::from_secs(5)));
        assert_eq!(Reason::from_stored("ping loss 3/3"), Reason::PingLoss { received: 0, sent: 3 });
        assert_eq!(Reason::from_stored("ICMP not permitted here"), Reason::IcmpUnavailable);
        let old = "error sending request: connection closed";
        assert_eq!(Reason::from_stored(old), Reason::Other(old.into()));
        assert_eq!(Reason::from_stored(""), Reason::Other(String::new()));
        assert_eq!(Reason::from_stored("timeout:soon"), Reason::Other("timeout:soon".into()));
    }

    #[test]
    fn russian_reasons_have_no_english_words() {
        let english = ["refused", "timeout", "after", "connection", "keyword", "missing", "loss", "not permitted"];
        for reason in every_reason().iter().filter(|r| !matches!(r, Reason::Tls(_) | Reason::Other(_))) {
            let ru = reason.render(Lang::Ru);
            assert!(!english.iter().any(|w| ru.to_lowercase().contains(w)), "{reason:?}: {ru}");
        }
        assert_eq!(Reason::Refused.render(Lang::Ru), "соединение отклонено");
        assert_eq!(Reason::Timeout(Duration::from_secs(10)).render(Lang::Ru), "нет ответа за 10 с");
        assert_eq!(Reason::Refused.render(Lang::En), "connection refused");
        assert_eq!(Reason::Timeout(Duration::from_secs(10)).render(Lang::En), "timeout after 10s");
    }
}
