//! `DB.*`: the canvas's datastores in the store. Rows are kept in their
//! stored form (`wire` text), so a value that cannot be stored or read back
//! fails at the call. Per run: a view of the server's store for one canvas.

use gloam_interpreter::effects::{DbCall, EffectError, datastore_key};
use gloam_interpreter::{Value, wire};
use gloam_trace_store::{DataStore, StoreError};

/// One canvas's datastores.
pub struct Datastores<'a> {
    pub store: &'a DataStore,
    pub canvas: &'a str,
}

pub(super) fn unavailable(error: StoreError) -> EffectError {
    EffectError::Unavailable(error.to_string())
}

fn decode_row(text: &str) -> Result<Value, EffectError> {
    wire::decode_text(text.as_bytes()).map_err(EffectError::Stored)
}

impl Datastores<'_> {
    pub async fn perform(&self, call: DbCall) -> Result<Value, EffectError> {
        match call {
            DbCall::Get { store, key } => self.get(&store, &key).await,
            DbCall::Set { store, key, value } => self.set(&store, &key, &value).await,
            DbCall::Delete { store, key } => self.delete(&store, &key).await,
            DbCall::GetAll { store } => self.values(&store).await,
            DbCall::Keys { store } => self.keys(&store).await,
        }
    }

    pub async fn get(&self, name: &str, key: &str) -> Result<Value, EffectError> {
        let row = self.store.db_get(self.canvas, name, datastore_key(key)?).await.map_err(unavailable)?;
        Ok(Value::option(row.as_deref().map(decode_row).transpose()?))
    }

    pub async fn set(&self, name: &str, key: &str, value: &Value) -> Result<Value, EffectError> {
        let row = wire::encode_text(value).map_err(EffectError::Stored)?;
        self.store.db_set(self.canvas, name, datastore_key(key)?, &row).await.map_err(unavailable)?;
        Ok(Value::Unit)
    }

    pub async fn delete(&self, name: &str, key: &str) -> Result<Value, EffectError> {
        self.store.db_delete(self.canvas, name, datastore_key(key)?).await.map_err(unavailable)?;
        Ok(Value::Unit)
    }

    /// Every value, in key order.
    pub async fn values(&self, name: &str) -> Result<Value, EffectError> {
        let rows = self.store.db_rows(self.canvas, name).await.map_err(unavailable)?;
        Ok(Value::list(rows.iter().map(|(_, row)| decode_row(row)).collect::<Result<Vec<Value>, _>>()?))
    }

    /// Every key, sorted.
    pub async fn keys(&self, name: &str) -> Result<Value, EffectError> {
        let rows = self.store.db_rows(self.canvas, name).await.map_err(unavailable)?;
        Ok(Value::list(rows.into_iter().map(|(key, _)| Value::string(key)).collect()))
    }
}
