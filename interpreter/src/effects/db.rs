//! `DB.*`: a canvas's datastores.

use super::arguments::Arguments;
use super::{EffectError, MemoryEffects};
use crate::value::Value;
use crate::wire;
use gloam_language::Builtin;

#[derive(Debug, Clone, PartialEq)]
pub enum DbCall {
    Get { store: String, key: String },
    Set { store: String, key: String, value: Value },
    Delete { store: String, key: String },
    GetAll { store: String },
    Keys { store: String },
}

impl DbCall {
    /// The datastore the call reads or writes.
    pub fn store(&self) -> &str {
        match self {
            DbCall::Get { store, .. }
            | DbCall::Set { store, .. }
            | DbCall::Delete { store, .. }
            | DbCall::GetAll { store }
            | DbCall::Keys { store } => store,
        }
    }
}

pub(super) fn decode(args: &Arguments) -> Result<DbCall, EffectError> {
    let store = match args.get(0)? {
        Value::Datastore(name) => name.to_string(),
        _ => return Err(args.wrong(0, "a datastore")),
    };
    let key = || Ok::<_, EffectError>(args.text(1)?.to_string());
    Ok(match args.0.builtin {
        Builtin::DbGet => DbCall::Get { store, key: key()? },
        Builtin::DbSet => DbCall::Set { store, key: key()?, value: args.get(2)?.clone() },
        Builtin::DbDelete => DbCall::Delete { store, key: key()? },
        Builtin::DbGetAll => DbCall::GetAll { store },
        Builtin::DbKeys => DbCall::Keys { store },
        _ => return Err(args.not_an_effect()),
    })
}

/// A datastore key as every store can keep it: PostgreSQL text holds no
/// NUL, so no store takes one (the stores must agree).
pub fn datastore_key(key: &str) -> Result<&str, EffectError> {
    match key.contains('\0') {
        true => Err(EffectError::NulKey),
        false => Ok(key),
    }
}

fn decode_row(row: &str) -> Result<Value, EffectError> {
    wire::decode_text(row.as_bytes()).map_err(EffectError::Stored)
}

impl MemoryEffects {
    /// Rows are kept in their stored form, as a real store keeps them.
    pub(super) fn db(&mut self, call: DbCall) -> Result<Value, EffectError> {
        match call {
            DbCall::Get { store, key } => {
                let key = datastore_key(&key)?;
                let row = self.datastores.get(&store).and_then(|rows| rows.get(key));
                Ok(Value::option(row.map(|row| decode_row(row)).transpose()?))
            }
            DbCall::Set { store, key, value } => {
                let key = datastore_key(&key)?.to_string();
                let row = wire::encode_text(&value).map_err(EffectError::Stored)?;
                self.datastores.entry(store).or_default().insert(key, row);
                Ok(Value::Unit)
            }
            DbCall::Delete { store, key } => {
                let key = datastore_key(&key)?;
                if let Some(rows) = self.datastores.get_mut(&store) {
                    rows.remove(key);
                }
                Ok(Value::Unit)
            }
            DbCall::GetAll { store } => {
                let rows = self.datastores.get(&store).into_iter().flat_map(|rows| rows.values());
                Ok(Value::list(rows.map(|row| decode_row(row)).collect::<Result<_, _>>()?))
            }
            DbCall::Keys { store } => {
                let rows = self.datastores.get(&store);
                let keys = rows.map(|rows| rows.keys().map(|k| Value::string(k.as_str())).collect());
                Ok(Value::list(keys.unwrap_or_default()))
            }
        }
    }
}
