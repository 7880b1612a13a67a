//! The one font the bot draws with, embedded in the binary so the host needs no fonts: DejaVu
//! Sans 2.37 (Bitstream Vera licence, `bot/assets/DejaVuSans-LICENSE.txt`), for the status chart's
//! text (`monitoring::chart`) and the device label sheets (`equipment::labels`). Both scripts the
//! bot speaks, Latin and Cyrillic, are in it.

pub(crate) static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
