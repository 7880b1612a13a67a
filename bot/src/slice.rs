//! What a slice brings to the bot, and the registry the router derives everything from.
//!
//! A slice declares a [`Slice`]: its name (also the prefix of its callback data and the owner tag
//! of its dialogue state), its commands (each with an [`Audience`] and a help line per language),
//! one typed callback handler and one typed dialogue handler. The router, `/help` and the command
//! menus read only the [`Registry`] built from every slice; nothing else lists commands.
//!
//! Handlers are closures, so a slice that needs dependencies of its own captures them when it
//! builds its `Slice`: no field of [`crate::BotDeps`] belongs to one slice.

use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use shared::i18n::Lang;

use crate::HandlerResult;
use crate::cx::Cx;

/// Who may use a command or press a slice's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    /// Anyone, also before an admin approved them (`/start`, `/help`).
    Everyone,
    /// Approved users and admins.
    Member,
    /// Users listed in `TELEOPS_ADMINS`; others get the one "admins only" refusal.
    Admin,
    /// Users listed in `TELEOPS_DEVELOPERS`; to anyone else the command does not exist.
    Developer,
}

type CommandFn = Arc<dyn Fn(Cx, String) -> BoxFuture<'static, HandlerResult> + Send + Sync>;
/// Decodes a payload and runs the handler; None when the payload does not decode.
type DecodeFn<T> = Arc<dyn Fn(Cx, T) -> Option<BoxFuture<'static, HandlerResult>> + Send + Sync>;

/// One command: `/name args`.
#[derive(Clone)]
pub struct Command {
    pub name: &'static str,
    pub audience: Audience,
    /// The help line (and menu description) in a language.
    pub help: fn(Lang) -> String,
    run: CommandFn,
}

impl Command {
    pub(crate) fn run(&self, cx: Cx, args: String) -> BoxFuture<'static, HandlerResult> {
        (self.run)(cx, args)
    }
}

/// Something `/add` can add: one entry of the one `/add` chooser every slice shares.
#[derive(Clone)]
pub struct Adder {
    pub audience: Audience,
    /// The chooser's button label in a language ("Monitor", "Device").
    pub label: fn(Lang) -> String,
    /// The one-message form in a language (`/add <target> [interval] — a monitor`).
    pub usage: fn(Lang) -> String,
    /// Whether `/add <args>` is this adder's one-message form; the first adder the caller may use
    /// that takes the arguments runs.
    pub takes: fn(&str) -> bool,
    run: CommandFn,
}

impl Adder {
    pub(crate) fn run(&self, cx: Cx, args: String) -> BoxFuture<'static, HandlerResult> {
        (self.run)(cx, args)
    }
}

/// An [`Adder`]'s description, for [`Slice::adder`].
pub struct AdderEntry {
    pub audience: Audience,
    pub label: fn(Lang) -> String,
    pub usage: fn(Lang) -> String,
    pub takes: fn(&str) -> bool,
}

/// `/start <prefix><rest>` (a `t.me/<bot>?start=` link) opens something of a slice.
#[derive(Clone)]
struct DeepLink {
    prefix: &'static str,
    run: CommandFn,
}

/// What one slice brings to the bot.
#[derive(Clone)]
pub struct Slice {
    name: &'static str,
    commands: Vec<Command>,
    adders: Vec<Adder>,
    deep_links: Vec<DeepLink>,
    callbacks: Option<(Audience, DecodeFn<String>)>,
    dialogue: Option<(Audience, DecodeFn<serde_json::Value>)>,
}

impl Slice {
    /// `name` is short (it prefixes every callback of the slice, within Telegram's 64 bytes) and
    /// unique among slices.
    pub fn new(name: &'static str) -> Self {
        assert!(!name.contains(':') && !name.is_empty(), "slice name {name:?}");
        Self { name, commands: Vec::new(), adders: Vec::new(), deep_links: Vec::new(), callbacks: None, dialogue: None }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Adds `/name`; `run` gets the context and the text after the command.
    pub fn command<F, Fut>(mut self, name: &'static str, audience: Audience, help: fn(Lang) -> String, run: F) -> Self
    where
        F: Fn(Cx, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.commands.push(Command { name, audience, help, run: Arc::new(move |cx, args| run(cx, args).boxed()) });
        self
    }

    /// Adds an entry to `/add`: `run` gets the context and the arguments (empty when chosen from
    /// the chooser, or when the caller may add only this).
    pub fn adder<F, Fut>(mut self, entry: AdderEntry, run: F) -> Self
    where
        F: Fn(Cx, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let AdderEntry { audience, label, usage, takes } = entry;
        self.adders.push(Adder { audience, label, usage, takes, run: Arc::new(move |cx, args| run(cx, args).boxed()) });
        self
    }

    /// Handles `/start <prefix><rest>` for approved users: `run` gets `rest`. Prefixes are short
    /// ASCII (`dev_`): a start parameter is at most 64 characters of `A-Za-z0-9_-`.
    pub fn deep_link<F, Fut>(mut self, prefix: &'static str, run: F) -> Self
    where
        F: Fn(Cx, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.deep_links.push(DeepLink { prefix, run: Arc::new(move |cx, rest| run(cx, rest).boxed()) });
        self
    }

    /// The slice's buttons: callback data made by [`crate::callback::data`] with this slice's
    /// name decodes into `A`; data that does not decode never reaches `run` (the router answers
    /// "this button has expired").
    pub fn callbacks<A, F, Fut>(mut self, audience: Audience, run: F) -> Self
    where
        A: DeserializeOwned + Send + 'static,
        F: Fn(Cx, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let decode: DecodeFn<String> =
            Arc::new(move |cx, payload: String| crate::callback::decode::<A>(&payload).map(|a| run(cx, a).boxed()));
        self.callbacks = Some((audience, decode));
        self
    }

    /// The slice's dialogue: a message in a chat whose stored state belongs to this slice is
    /// handed to `run` with the state decoded as `S` (a state that no longer decodes ends the
    /// dialogue with a reply, it never reaches `run`).
    pub fn dialogue<S, F, Fut>(mut self, audience: Audience, run: F) -> Self
    where
        S: DeserializeOwned + Send + 'static,
        F: Fn(Cx, S) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let decode: DecodeFn<serde_json::Value> =
            Arc::new(move |cx, value| serde_json::from_value::<S>(value).ok().map(|state| run(cx, state).boxed()));
        self.dialogue = Some((audience, decode));
        self
    }
}

/// Every slice's declarations, in registration order (which is also `/help` order).
#[derive(Clone)]
pub struct Registry {
    slices: Arc<Vec<Slice>>,
}

/// Why a list of slices cannot be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Two slices share a name, so their callbacks could not be told apart.
    #[error("two bot slices are named {0:?}")]
    DuplicateSlice(&'static str),
    /// Two slices declare the same command.
    #[error("/{command} is declared by both {first} and {second}")]
    DuplicateCommand { command: &'static str, first: &'static str, second: &'static str },
    /// Two slices handle the same `/start` prefix.
    #[error("/start {prefix}… is handled by both {first} and {second}")]
    DuplicateDeepLink { prefix: &'static str, first: &'static str, second: &'static str },
}

impl Registry {
    pub fn new(slices: Vec<Slice>) -> Result<Self, RegistryError> {
        let mut names = std::collections::HashMap::new();
        let mut commands = std::collections::HashMap::new();
        let mut links = std::collections::HashMap::new();
        for slice in &slices {
            if names.insert(slice.name, ()).is_some() {
                return Err(RegistryError::DuplicateSlice(slice.name));
            }
            let prefixes = slice.deep_links.iter().map(|d| d.prefix);
            for prefix in prefixes {
                if let Some(first) = links.insert(prefix, slice.name) {
                    return Err(RegistryError::DuplicateDeepLink { prefix, first, second: slice.name });
                }
            }
            for c in &slice.commands {
                if let Some(first) = commands.insert(c.name, slice.name) {
                    return Err(RegistryError::DuplicateCommand { command: c.name, first, second: slice.name });
                }
            }
        }
        Ok(Self { slices: Arc::new(slices) })
    }

    pub fn command(&self, name: &str) -> Option<&Command> {
        self.commands().find(|c| c.name == name)
    }

    /// Every command of every slice, in `/help` order.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.slices.iter().flat_map(|s| s.commands.iter())
    }

    /// Every slice's `/add` entries, in registration order (their index is stable for a build).
    pub fn adders(&self) -> impl Iterator<Item = &Adder> {
        self.slices.iter().flat_map(|s| s.adders.iter())
    }

    /// The handler of a `/start` parameter, and the parameter less its prefix.
    pub(crate) fn deep_link(&self, parameter: &str) -> Option<(&CommandFn, String)> {
        self.slices
            .iter()
            .flat_map(|s| s.deep_links.iter())
            .find_map(|d| parameter.strip_prefix(d.prefix).map(|rest| (&d.run, rest.to_owned())))
    }

    /// The audience and the decoding handler of the slice whose callbacks start with `name`.
    pub(crate) fn callbacks(&self, name: &str) -> Option<(Audience, &DecodeFn<String>)> {
        self.slices.iter().find(|s| s.name == name).and_then(|s| s.callbacks.as_ref().map(|(a, f)| (*a, f)))
    }

    pub(crate) fn dialogue(&self, name: &str) -> Option<(Audience, &DecodeFn<serde_json::Value>)> {
        self.slices.iter().find(|s| s.name == name).and_then(|s| s.dialogue.as_ref().map(|(a, f)| (*a, f)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help(_: Lang) -> String {
        String::new()
    }

    #[test]
    fn a_command_belongs_to_one_slice() {
        let a = Slice::new("a").command("add", Audience::Member, help, |_, _| async { Ok(()) });
        let b = Slice::new("b").command("add", Audience::Member, help, |_, _| async { Ok(()) });
        let err = Registry::new(vec![a.clone(), b]).err().expect("a duplicate is refused");
        assert_eq!(err.to_string(), "/add is declared by both a and b");
        assert!(Registry::new(vec![a.clone(), a]).is_err());
    }
}
