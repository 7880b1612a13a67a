//! Telegram's length limits, measured the way Telegram measures them: in UTF-16 code units, so an
//! emoji or any character outside the Basic Multilingual Plane counts twice.
//!
//! Every text the system sends passes [`fit`] at the edge (the bot's replies and the worker's
//! outbox sends), so an over-long text is shortened with "…" rather than refused by Telegram
//! ("message is too long"). Callers that know what they show (a target in a list line, an alert
//! group) shorten the parts first with [`shorten`], so the cut at the edge is a last resort.

use std::borrow::Cow;

/// A message's text: at most 4,096 UTF-16 code units.
pub const MESSAGE_MAX: usize = 4096;
/// A photo's or document's caption: at most 1,024 UTF-16 code units.
pub const CAPTION_MAX: usize = 1024;

const ELLIPSIS: char = '…';

/// The length Telegram counts.
pub fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// `text` if it is at most `max` UTF-16 units long; otherwise its longest prefix (whole characters)
/// that leaves room for "…", followed by "…".
pub fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    if utf16_len(text) <= max {
        return Cow::Borrowed(text);
    }
    let room = max.saturating_sub(ELLIPSIS.len_utf16());
    let mut used = 0;
    let mut end = 0;
    for (at, c) in text.char_indices() {
        if used + c.len_utf16() > room {
            break;
        }
        used += c.len_utf16();
        end = at + c.len_utf8();
    }
    let mut out = String::with_capacity(end + ELLIPSIS.len_utf8());
    out.push_str(&text[..end]);
    if max >= ELLIPSIS.len_utf16() {
        out.push(ELLIPSIS);
    }
    Cow::Owned(out)
}

/// A message text that Telegram accepts: shortened to [`MESSAGE_MAX`] when longer.
pub fn fit(text: String) -> String {
    fit_to(text, MESSAGE_MAX)
}

/// A caption that Telegram accepts: shortened to [`CAPTION_MAX`] when longer.
pub fn fit_caption(text: String) -> String {
    fit_to(text, CAPTION_MAX)
}

fn fit_to(text: String, max: usize) -> String {
    match shorten(&text, max) {
        Cow::Borrowed(_) => text,
        Cow::Owned(short) => {
            tracing::warn!(units = utf16_len(&text), max, "text over Telegram's limit shortened");
            short
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_utf16_units_as_telegram_does() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("привет"), 6);
        // 🔴 is outside the BMP: two units, though one char.
        assert_eq!("🔴".chars().count(), 1);
        assert_eq!(utf16_len("🔴 DOWN"), 7);
    }

    #[test]
    fn shortening_keeps_whole_characters_within_the_limit() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("abcdefghij", 5), "abcd…");
        // Four emoji are eight units: with room for 5, two fit (4 units) and the ellipsis (1).
        let cut = shorten("🔴🔴🔴🔴", 5);
        assert_eq!(cut, "🔴🔴…");
        assert!(utf16_len(&cut) <= 5);
        assert_eq!(shorten("abc", 0), "");
    }

    #[test]
    fn a_long_message_fits_telegram() {
        let long = "🟢 UP https://example.com/\n".repeat(400);
        assert!(long.chars().count() < MESSAGE_MAX * 3);
        let fitted = fit(long.clone());
        assert!(utf16_len(&fitted) <= MESSAGE_MAX);
        assert!(fitted.ends_with('…'));
        assert!(long.starts_with(fitted.trim_end_matches('…')));
        assert!(utf16_len(&fit_caption(long)) <= CAPTION_MAX);
        assert_eq!(fit("ok".into()), "ok");
    }
}
