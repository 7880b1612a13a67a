//! Callback data: `<slice>:<payload>`, where the payload is a slice's serde enum in postcard's
//! compact binary form, base64url without padding. A button naming a monitor and a page takes
//! about 15 bytes, well inside Telegram's 64.
//!
//! Callback data comes back from the client and can be forged: decoding is the first check, and
//! the slice's handler still checks that the object exists and belongs to the caller. The payload
//! is an API boundary: buttons already sent outlive a release, so variants are only ever appended.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Telegram's limit on callback data, in bytes.
pub const MAX_LEN: usize = 64;

/// The callback data for `action` of the slice `slice`.
///
/// # Panics
/// When the data exceeds [`MAX_LEN`]: a slice's actions are small by design, and each slice's
/// tests encode its largest action.
pub fn data<A: Serialize>(slice: &str, action: &A) -> String {
    let bytes = postcard::to_allocvec(action).expect("callback actions serialize");
    let data = format!("{slice}:{}", URL_SAFE_NO_PAD.encode(bytes));
    assert!(data.len() <= MAX_LEN, "callback data over {MAX_LEN} bytes: {data}");
    data
}

/// Splits callback data into the slice name and the payload.
pub fn split(data: &str) -> Option<(&str, &str)> {
    data.split_once(':')
}

/// The action in a payload; None for anything that is not exactly an `A` (trailing bytes too).
pub fn decode<A: DeserializeOwned>(payload: &str) -> Option<A> {
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let (action, rest) = postcard::take_from_bytes::<A>(&bytes).ok()?;
    rest.is_empty().then_some(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    enum Action {
        Open(i64),
        Move { id: i64, page: u32, everyone: bool },
    }

    #[test]
    fn actions_round_trip_compactly() {
        for a in [Action::Open(1), Action::Move { id: i64::MAX, page: u32::MAX, everyone: true }] {
            let data = data("mon", &a);
            assert!(data.len() <= 30, "{data}");
            let (slice, payload) = split(&data).unwrap();
            assert_eq!(slice, "mon");
            assert_eq!(decode::<Action>(payload), Some(a));
        }
    }

    #[test]
    fn forged_payloads_do_not_decode() {
        let good = data("mon", &Action::Open(5));
        let payload = split(&good).unwrap().1;
        for bad in ["", "!!", "AAAA", "Bw", &format!("{payload}AA")] {
            assert_eq!(decode::<Action>(bad), None, "{bad}");
        }
    }
}
