//! The fake Bot API's documents: a user's document is served by getFile and its download URL, and
//! a document the bot uploads is kept whole. Checked with teloxide itself, as the bot calls it.

use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::InputFile;

use crate::fake_telegram::{FakeTelegram, TgUser};

#[tokio::test]
async fn documents_go_both_ways_byte_for_byte() {
    let telegram = FakeTelegram::start().await;
    let bot = Bot::new("123456:TEST").set_api_url(telegram.url.parse().unwrap());
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let file_id = telegram.send_document(&TgUser::new(7, "Ann"), "devices.csv", &bytes, Some("/import"));

    let file = bot.get_file(teloxide::types::FileId(file_id)).await.expect("getFile");
    let mut downloaded = Vec::new();
    bot.download_file(&file.path, &mut downloaded).await.expect("download");
    assert_eq!(downloaded, bytes);

    bot.send_document(ChatId(7), InputFile::memory(bytes.clone()).file_name("export.csv"))
        .caption("All devices")
        .await
        .expect("sendDocument");
    let uploads = telegram.wait_for_documents(7, 1).await;
    assert_eq!(uploads[0].file_name, "export.csv");
    assert_eq!(uploads[0].caption.as_deref(), Some("All devices"));
    assert_eq!(uploads[0].bytes, bytes);
}
