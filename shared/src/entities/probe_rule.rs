//! `probe_rules`: the admins' allow and deny networks for monitor targets, and [`policy`], the
//! probe policy they make (on top of the built-in denies).

use sea_orm::entity::prelude::*;

use crate::monitoring::policy::{ProbeAction, ProbePolicy, parse_network};

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

/// The probe policy of the stored rules. A rule that does not decode or whose network does not
/// parse is logged and left out; the others still apply.
pub async fn policy(db: &impl ConnectionTrait) -> Result<ProbePolicy, DbErr> {
    let mut rules = Vec::new();
    for rule in crate::db::all_each(db, Entity::find()).await? {
        match rule.map(|r| (r.id, r.action, parse_network(&r.network))) {
            Ok((_, action, Ok(net))) => rules.push((action, net)),
            Ok((id, _, Err(e))) => tracing::warn!(rule_id = id, error = %e, "ignoring an unreadable probe rule"),
            Err(e) => tracing::warn!(rule_id = e.id, error = %e, "ignoring an unreadable probe rule"),
        }
    }
    Ok(ProbePolicy::from_rules(rules))
}

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
