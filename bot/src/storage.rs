//! Dialogue state in the database (`dialogues` table), as a teloxide `Storage`, so a
//! conversation in progress survives a restart. Works on SQLite and Postgres alike.

use std::sync::Arc;

use futures::future::BoxFuture;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use serde::{Serialize, de::DeserializeOwned};
use shared::clock::SharedClock;
use shared::entities::dialogue;
use teloxide::dispatching::dialogue::Storage;
use teloxide::types::ChatId;

/// Why dialogue state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database failed.
    #[error("dialogue storage: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A stored state no longer decodes (for example after an upgrade).
    #[error("dialogue state does not decode: {0}")]
    Decode(#[from] serde_json::Error),
}

/// The `dialogues` table as a teloxide storage.
#[derive(Clone)]
pub struct DbStorage {
    db: DatabaseConnection,
    clock: SharedClock,
}

impl DbStorage {
    pub fn new(db: DatabaseConnection, clock: SharedClock) -> Arc<Self> {
        Arc::new(Self { db, clock })
    }
}

impl<D> Storage<D> for DbStorage
where
    D: Serialize + DeserializeOwned + Send + 'static,
{
    type Error = StorageError;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            dialogue::Entity::delete_by_id(chat_id.0).exec(&self.db).await?;
            Ok(())
        })
    }

    fn update_dialogue(self: Arc<Self>, chat_id: ChatId, state: D) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let state = serde_json::to_string(&state)?;
            dialogue::Entity::insert(dialogue::ActiveModel {
                chat_id: Set(chat_id.0),
                state: Set(state),
                updated_at: Set(self.clock.now()),
            })
            .on_conflict(
                OnConflict::column(dialogue::Column::ChatId)
                    .update_columns([dialogue::Column::State, dialogue::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
            Ok(())
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<'static, Result<Option<D>, Self::Error>> {
        Box::pin(async move {
            let Some(row) = dialogue::Entity::find_by_id(chat_id.0).one(&self.db).await? else {
                return Ok(None);
            };
            match serde_json::from_str(&row.state) {
                Ok(state) => Ok(Some(state)),
                Err(e) => {
                    // A state from an older version starts the conversation over rather than
                    // leaving the chat stuck on an error.
                    tracing::warn!(chat_id = chat_id.0, error.message = %e, "dropping undecodable dialogue state");
                    dialogue::Entity::delete_by_id(chat_id.0).exec(&self.db).await?;
                    Ok(None)
                }
            }
        })
    }
}
