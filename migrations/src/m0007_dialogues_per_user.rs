//! A dialogue belongs to the user who started it: `dialogue_states` replaces `dialogues`, keyed
//! by (chat, user), so in a group two people's conversations are apart and nobody can answer
//! another's step. Private chats' dialogues are kept (there the chat id is the user id); group
//! dialogues in progress are dropped, since nothing recorded who started them.
//!
//! A new table rather than a rebuilt one under the old name: SQLite cannot change a primary key
//! in place, and a rename right after a drop can fail on a pooled connection whose schema is
//! stale.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn table(name: &str, with_user: bool) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name)).col(ColumnDef::new("chat_id").big_integer().not_null());
    if with_user {
        t.col(ColumnDef::new("user_id").big_integer().not_null())
            .primary_key(Index::create().col("chat_id").col("user_id"));
    } else {
        t.primary_key(Index::create().col("chat_id"));
    }
    t.col(ColumnDef::new("state").text().not_null())
        .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null())
        .to_owned()
}

/// Creates `to`, copies the rows `copy` selects into it, drops `from`.
async fn replace(m: &SchemaManager<'_>, to: &str, from: &str, copy: &str) -> Result<(), DbErr> {
    m.create_table(table(to, to == "dialogue_states")).await?;
    m.get_connection().execute_unprepared(copy).await?;
    m.drop_table(Table::drop().table(Alias::new(from)).to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let copy = "INSERT INTO dialogue_states (chat_id, user_id, state, updated_at) \
                    SELECT chat_id, chat_id, state, updated_at FROM dialogues WHERE chat_id > 0";
        replace(m, "dialogue_states", "dialogues", copy).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let copy = "INSERT INTO dialogues (chat_id, state, updated_at) \
                    SELECT chat_id, state, updated_at FROM dialogue_states WHERE chat_id = user_id";
        replace(m, "dialogues", "dialogue_states", copy).await
    }
}
