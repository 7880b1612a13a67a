//! `/probes` (admins): the probe policy — the built-in denies, then the admins' allow and deny
//! rules — listed, added to (`allow|deny <network>`) or removed from (`remove <id>`). A change is
//! answered with how many monitors it blocks and unblocks, judged by each monitor's literal
//! address or the address its last check probed (the bot resolves nothing).

use sea_orm::{ActiveEnum, ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use shared::audit::Entry;
use shared::db::all_each;
use shared::entities::{monitor, probe_rule};
use shared::i18n::Lang;
use shared::monitoring::policy::{ProbeAction, ProbePolicy, literal_address, parse_network};
use shared::monitoring::target::Target;
use shared::monitoring::texts::{Text, t};

use crate::cx::Cx;
use crate::{BotDeps, HandlerResult, reply};

pub async fn probes(cx: Cx, args: String) -> HandlerResult {
    let (bot, deps, caller, args) = (&cx.bot, &cx.deps, &cx.caller, args.as_str());
    let lang = caller.lang;
    let words: Vec<&str> = args.split_whitespace().collect();
    let text = match words.as_slice() {
        [] => {
            let rules = all_each(&deps.db, probe_rule::Entity::find().order_by_asc(probe_rule::Column::Id)).await?;
            let mut text = if rules.is_empty() { t(lang, Text::NoProbeRules) } else { t(lang, Text::ProbeRulesHeader) };
            for rule in rules {
                text.push('\n');
                text.push_str(&match rule {
                    Ok(r) => t(lang, Text::ProbeRule { id: r.id, action: r.action, network: &r.network }),
                    Err(e) => {
                        tracing::error!(rule_id = e.id, error = %e, "probe rule row does not decode");
                        t(lang, Text::RowUnreadable { id: e.id.unwrap_or_default() })
                    }
                });
            }
            text.push_str("\n\n");
            text.push_str(&t(lang, Text::BuiltInDenies));
            text
        }
        ["remove", id] => match id.trim_start_matches('#').parse::<i64>() {
            Ok(n) => {
                let before = probe_rule::policy(&deps.db).await?;
                if probe_rule::Entity::delete_by_id(n).exec(&deps.db).await?.rows_affected == 1 {
                    tracing::info!(rule_id = n, by = caller.user_id, "probe rule removed");
                    cx.audit(Entry::new("probe_rule.delete", "probe_rule", n)).await?;
                    let effect = effect(deps, lang, &before).await?;
                    format!("{}\n{effect}", t(lang, Text::ProbeRuleRemoved { id: n }))
                } else {
                    t(lang, Text::ProbeRuleNotFound { id })
                }
            }
            Err(_) => t(lang, Text::ProbeRuleNotFound { id }),
        },
        [word, network] => match (ProbeAction::try_from_value(&(*word).to_owned()), parse_network(network)) {
            (Err(_), _) => t(lang, Text::ProbesUsage),
            (Ok(_), Err(e)) => t(lang, Text::NotANetwork { input: &e.0 }),
            (Ok(action), Ok(net)) => {
                let before = probe_rule::policy(&deps.db).await?;
                let row = probe_rule::ActiveModel {
                    action: Set(action),
                    network: Set(net.to_string()),
                    created_by: Set(caller.user_id),
                    created_at: Set(cx.now),
                    ..Default::default()
                }
                .insert(&deps.db)
                .await?;
                tracing::info!(rule_id = row.id, action = ?action, network = %row.network, by = caller.user_id, "probe rule added");
                let detail = format!("{} {}", action.to_value(), row.network);
                cx.audit(Entry::new("probe_rule.create", "probe_rule", row.id).detail(detail)).await?;
                let effect = effect(deps, lang, &before).await?;
                format!("{}\n{effect}", t(lang, Text::ProbeRuleAdded { id: row.id, action, network: &row.network }))
            }
        },
        _ => t(lang, Text::ProbesUsage),
    };
    reply::text(bot, deps, caller.chat, text).await
}

/// How many monitors the stored rules block and unblock compared with `before`, in words.
async fn effect(deps: &BotDeps, lang: Lang, before: &ProbePolicy) -> anyhow::Result<String> {
    let after = probe_rule::policy(&deps.db).await?;
    // Only the two text columns: no enum to decode, so no row can fail the read.
    let monitors: Vec<(String, Option<String>)> = monitor::Entity::find()
        .select_only()
        .column(monitor::Column::Target)
        .column(monitor::Column::LastAddress)
        .into_tuple()
        .all(&deps.db)
        .await?;
    let (blocked, unblocked) = count_changes(before, &after, &monitors);
    Ok(t(lang, Text::ProbeRuleEffect { blocked, unblocked }))
}

/// Of these monitors (target, last probed address), how many `before` permitted and `after` does
/// not (blocked), and the other way round (unblocked). A literal target is judged as typed; a
/// host name by its last address; a monitor with neither is not counted.
fn count_changes(before: &ProbePolicy, after: &ProbePolicy, monitors: &[(String, Option<String>)]) -> (u64, u64) {
    let (mut blocked, mut unblocked) = (0, 0);
    for (target, last_address) in monitors {
        let literal = Target::parse(target).ok().as_ref().and_then(literal_address);
        let Some(address) = literal.or_else(|| last_address.as_deref()?.parse().ok()) else { continue };
        match (before.permits(address), after.permits(address)) {
            (true, false) => blocked += 1,
            (false, true) => unblocked += 1,
            _ => {}
        }
    }
    (blocked, unblocked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rules: &[(ProbeAction, &str)]) -> ProbePolicy {
        ProbePolicy::from_rules(rules.iter().map(|(a, n)| (*a, parse_network(n).unwrap())))
    }

    #[test]
    fn a_rule_is_judged_by_literal_targets_and_last_addresses() {
        let monitors: Vec<(String, Option<String>)> = [
            ("http://127.0.0.1:8080/", None),
            ("tcp://[::ffff:127.0.0.1]:22", None),
            ("https://intranet.example/", Some("10.1.2.3")),
            ("https://site.example/", Some("203.0.113.5")),
            ("https://never-checked.example/", None),
            ("10.1.9.9", Some("10.1.9.9")),
        ]
        .iter()
        .map(|(t, a)| (t.to_string(), a.map(str::to_owned)))
        .collect();
        let none = policy(&[]);
        let loopback = policy(&[(ProbeAction::Allow, "127.0.0.0/8")]);
        // Allowing loopback unblocks the two loopback monitors and, as an allow list, blocks the rest it knows.
        assert_eq!(count_changes(&none, &loopback, &monitors), (3, 2));
        let deny_office = policy(&[(ProbeAction::Deny, "10.0.0.0/8")]);
        assert_eq!(count_changes(&none, &deny_office, &monitors), (2, 0));
        assert_eq!(count_changes(&deny_office, &none, &monitors), (0, 2));
    }
}
