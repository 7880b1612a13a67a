//! `probe_rules`: the admins' allow and deny networks for monitor targets.

use sea_orm::entity::prelude::*;

use crate::monitoring::policy::ProbeAction;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "probe_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub action: ProbeAction,
    /// A CIDR, as normalized by `monitoring::policy::parse_network`.
    pub network: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// Rows already hold these texts; anything else reads as an error, not a panic.
    #[test]
    fn actions_keep_their_texts_and_refuse_others() {
        let texts: Vec<String> = ProbeAction::iter().map(|a| a.to_value()).collect();
        assert_eq!(texts, ["allow", "deny"]);
        assert!(matches!(ProbeAction::try_from_value(&"maybe".to_owned()), Err(DbErr::Type(_))));
    }
}
