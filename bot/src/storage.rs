//! Dialogue state in the database (`dialogue_states` table), keyed by chat and user, so a conversation
//! in progress survives a restart and belongs to the person who started it: in a group, nobody
//! else can answer its steps. Works on SQLite and Postgres alike.
//!
//! teloxide's `Storage` keys dialogues by chat only, so this is a small store of our own.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use shared::clock::SharedClock;
use shared::entities::dialogue;

use crate::cx::Stored;

/// Why dialogue state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database failed.
    #[error("dialogue storage: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// The state could not be encoded.
    #[error("dialogue state does not encode: {0}")]
    Encode(#[from] serde_json::Error),
}

/// One user's dialogue in one chat.
#[derive(Clone)]
pub struct Dialogue {
    db: DatabaseConnection,
    clock: SharedClock,
    chat_id: i64,
    user_id: i64,
}

impl Dialogue {
    pub fn new(db: DatabaseConnection, clock: SharedClock, chat_id: i64, user_id: i64) -> Self {
        Self { db, clock, chat_id, user_id }
    }

    fn this(&self) -> sea_orm::Condition {
        sea_orm::Condition::all()
            .add(dialogue::Column::ChatId.eq(self.chat_id))
            .add(dialogue::Column::UserId.eq(self.user_id))
    }

    /// The state, if a dialogue is going. A state from an older version that no longer decodes
    /// starts the conversation over rather than leaving the user stuck on an error.
    pub async fn get(&self) -> Result<Option<Stored>, StorageError> {
        let Some(row) = dialogue::Entity::find().filter(self.this()).one(&self.db).await? else { return Ok(None) };
        match serde_json::from_str(&row.state) {
            Ok(state) => Ok(Some(state)),
            Err(e) => {
                tracing::warn!(chat_id = self.chat_id, error.message = %e, "dropping undecodable dialogue state");
                self.exit().await?;
                Ok(None)
            }
        }
    }

    pub async fn update(&self, state: Stored) -> Result<(), StorageError> {
        dialogue::Entity::insert(dialogue::ActiveModel {
            chat_id: Set(self.chat_id),
            user_id: Set(self.user_id),
            state: Set(serde_json::to_string(&state)?),
            updated_at: Set(self.clock.now()),
        })
        .on_conflict(
            OnConflict::columns([dialogue::Column::ChatId, dialogue::Column::UserId])
                .update_columns([dialogue::Column::State, dialogue::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(&self.db)
        .await?;
        Ok(())
    }

    pub async fn exit(&self) -> Result<(), StorageError> {
        dialogue::Entity::delete_many().filter(self.this()).exec(&self.db).await?;
        Ok(())
    }
}
