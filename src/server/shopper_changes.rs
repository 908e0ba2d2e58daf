//! Changes to what a shopper's own parts of a page show (who the session is signed in as, their
//! cart, their likes), so that what the shop remembers of a session between its requests is
//! dropped the moment it stops being true.
//!
//! Every write that changes one of them says whose state it changed ([`super::db::Db::changed`],
//! [`super::db::Tx::changed`]), and the note is taken once the write has committed. On PostgreSQL
//! the note is also announced to the other shop processes on the same database
//! (`NOTIFY shopper_changes`, sent in the writing transaction, so only if it commits).
//!
//! Whoever remembers something takes a [`ShopperChanges::stamp`] before reading it from the
//! database and keeps it beside what it read; that is still true while nothing it depends on was
//! noted after the stamp ([`ShopperChanges::unchanged_since`]). A read that began before a write
//! committed holds a stamp older than the write's note, so it is never taken for current.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Whose state a write changed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Whose {
    /// A session, by the id the sessions table keeps it under.
    Session(i128),
    /// A sign-in, by the key `user_sessions` keeps it under.
    SignIn(String),
    User(i64),
    Cart(i64),
    /// Anyone's: a change that reaches carts or accounts it cannot name (a variant deleted
    /// from every cart holding it).
    Everyone,
}

impl Whose {
    /// As the announcement to other processes carries it.
    pub fn announced(&self) -> String {
        match self {
            Whose::Session(id) => format!("s:{id}"),
            Whose::SignIn(key) => format!("i:{key}"),
            Whose::User(id) => format!("u:{id}"),
            Whose::Cart(id) => format!("c:{id}"),
            Whose::Everyone => "*".to_owned(),
        }
    }

    /// What an announcement names; an announcement not understood concerns everyone.
    pub fn from_announcement(text: &str) -> Whose {
        let named = match text.split_once(':') {
            Some(("s", id)) => id.parse().ok().map(Whose::Session),
            Some(("i", key)) => Some(Whose::SignIn(key.to_owned())),
            Some(("u", id)) => id.parse().ok().map(Whose::User),
            Some(("c", id)) => id.parse().ok().map(Whose::Cart),
            _ => None,
        };
        named.unwrap_or(Whose::Everyone)
    }
}

/// How many changes are remembered by whose they were; beyond it, they are forgotten and
/// everything remembered before counts as changed.
const NOTES_KEPT: usize = 100_000;

#[derive(Debug, Default)]
pub struct ShopperChanges {
    noted: Mutex<Noted>,
}

#[derive(Debug, Default)]
struct Noted {
    /// Notes taken so far.
    count: u64,
    /// Whatever was read before this note may have changed.
    floor: u64,
    /// The last note about each.
    last: HashMap<Whose, u64>,
}

impl ShopperChanges {
    /// Where the notes stand, taken before a read whose result is to be remembered.
    pub fn stamp(&self) -> u64 {
        self.noted().count
    }

    /// Notes that the state of `whose` changed.
    pub fn note(&self, whose: impl IntoIterator<Item = Whose>) {
        let mut noted = self.noted();
        noted.count += 1;
        let at = noted.count;
        for whose in whose {
            if whose == Whose::Everyone {
                noted.last.clear();
                noted.floor = at;
            } else {
                noted.last.insert(whose, at);
            }
        }
        if noted.last.len() > NOTES_KEPT {
            noted.last.clear();
            noted.floor = at;
        }
    }

    /// Whether nothing about any of `whose` was noted after `stamp`.
    pub fn unchanged_since(&self, stamp: u64, whose: &[Whose]) -> bool {
        let noted = self.noted();
        stamp >= noted.floor
            && whose
                .iter()
                .all(|whose| noted.last.get(whose).is_none_or(|at| *at <= stamp))
    }

    fn noted(&self) -> std::sync::MutexGuard<'_, Noted> {
        self.noted.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_current_until_a_change_to_what_it_depends_on_is_noted() {
        let changes = ShopperChanges::default();
        let read = changes.stamp();
        let depends = [Whose::User(1), Whose::Cart(7)];
        changes.note([Whose::User(2), Whose::Cart(8)]);
        assert!(changes.unchanged_since(read, &depends));
        changes.note([Whose::Cart(7)]);
        assert!(!changes.unchanged_since(read, &depends));
        // Read again after the change, it is current again.
        let again = changes.stamp();
        assert!(changes.unchanged_since(again, &depends));
        changes.note([Whose::Everyone]);
        assert!(!changes.unchanged_since(again, &[Whose::User(3)]));
        assert!(changes.unchanged_since(changes.stamp(), &[Whose::User(3)]));
    }

    #[test]
    fn announcements_name_what_was_noted() {
        for whose in [
            Whose::Session(-170141183460469231731687303715884105728),
            Whose::SignIn("a1b2".into()),
            Whose::User(4),
            Whose::Cart(9),
            Whose::Everyone,
        ] {
            assert_eq!(Whose::from_announcement(&whose.announced()), whose);
        }
        assert_eq!(Whose::from_announcement("u:x"), Whose::Everyone);
    }
}
