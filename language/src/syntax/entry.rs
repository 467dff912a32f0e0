//! What can be run from outside a module — a handler, a worker, a cron or a
//! top-level function — and where it is: found here once, for both engines
//! and the runtime.

use super::ast::{Expr, ExprId, FunctionDecl, HandlerDecl, ItemKind, Module};
use std::fmt;

/// Something a run starts at, named as callers know it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntryPoint {
    /// A handler by its key, `GET /todos/:id`.
    Handler {
        key: String,
    },
    Worker {
        name: String,
    },
    Cron {
        name: String,
    },
    Function {
        name: String,
    },
}

impl fmt::Display for EntryPoint {
    /// As error messages name it: the handler `GET /x`, the worker `w`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryPoint::Handler { key } => write!(f, "handler {key}"),
            EntryPoint::Worker { name } => write!(f, "worker `{name}`"),
            EntryPoint::Cron { name } => write!(f, "cron `{name}`"),
            EntryPoint::Function { name } => write!(f, "function `{name}`"),
        }
    }
}

/// An entry point found in a module: what an engine needs to run it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'m> {
    /// Its position in the module's items.
    pub item: usize,
    pub body: &'m Expr,
    pub kind: EntryKind<'m>,
}

/// What kind of entry it is, and what its input is bound to.
#[derive(Debug, Clone, Copy)]
pub enum EntryKind<'m> {
    /// Its request is bound to [`REQUEST`]; its value is a response, and
    /// `?` on an `Error` in its own body answers 400.
    Handler(&'m HandlerDecl),
    /// Its event is bound to `event`.
    Worker {
        event: &'m str,
    },
    Cron,
    Function(&'m FunctionDecl),
}

/// What a run of an entry answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A handler: the response its value stands for, or a failure at its
    /// body when the value stands for none.
    Response { body: ExprId },
    /// A function: its value (its input is its argument list).
    Value,
    /// A worker or a cron: nothing (its value is not used).
    Nothing,
}

/// The name a handler's request is bound to.
pub const REQUEST: &str = "request";
/// The name a worker's event is bound to when the worker names none.
pub const DEFAULT_EVENT: &str = "event";

impl Entry<'_> {
    /// The name its one input is bound to: a handler's request, a worker's event.
    pub fn input(&self) -> Option<&str> {
        match self.kind {
            EntryKind::Handler(_) => Some(REQUEST),
            EntryKind::Worker { event } => Some(event),
            EntryKind::Cron | EntryKind::Function(_) => None,
        }
    }

    pub fn is_handler(&self) -> bool {
        matches!(self.kind, EntryKind::Handler(_))
    }

    /// What a run of it answers with.
    pub fn answer(&self) -> Answer {
        match self.kind {
            EntryKind::Handler(decl) => Answer::Response { body: decl.body.id },
            EntryKind::Function(_) => Answer::Value,
            EntryKind::Worker { .. } | EntryKind::Cron => Answer::Nothing,
        }
    }
}

impl Module {
    /// The entry point `point` stands for, if the module has it.
    pub fn entry(&self, point: &EntryPoint) -> Option<Entry<'_>> {
        self.items.iter().enumerate().find_map(|(item, declared)| {
            let found = match (point, &declared.kind) {
                // `METHOD route`, compared without building the name: this
                // runs on every request.
                (EntryPoint::Handler { key }, ItemKind::Handler(decl)) => {
                    key.split_once(' ') == Some((decl.method.as_str(), decl.route.text.as_str()))
                }
                (EntryPoint::Worker { name }, ItemKind::Worker(decl)) => decl.name.text == *name,
                (EntryPoint::Cron { name }, ItemKind::Cron(decl)) => decl.name.text == *name,
                (EntryPoint::Function { name }, ItemKind::Function(decl)) => decl.name.text == *name,
                _ => false,
            };
            if found { self.entry_at(item) } else { None }
        })
    }

    /// The item at `item` as an entry, if it is one (not a type or a datastore).
    pub fn entry_at(&self, item: usize) -> Option<Entry<'_>> {
        let (body, kind) = match &self.items.get(item)?.kind {
            ItemKind::Handler(decl) => (&decl.body, EntryKind::Handler(decl)),
            ItemKind::Worker(decl) => {
                let event = decl.parameters.first().map_or(DEFAULT_EVENT, |param| param.name.text.as_str());
                (&decl.body, EntryKind::Worker { event })
            }
            ItemKind::Cron(decl) => (&decl.body, EntryKind::Cron),
            ItemKind::Function(decl) => (&decl.body, EntryKind::Function(decl)),
            ItemKind::Type(_) | ItemKind::Datastore(_) => return None,
        };
        Some(Entry { item, body, kind })
    }

    /// Every entry, in item order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        (0..self.items.len()).filter_map(|item| self.entry_at(item))
    }
}
