//! `Secrets.get`: the canvas's secrets, sealed in the store. Per run: a
//! read may be written to the audit log (runs the editor API started).

use super::db::unavailable;
use gloam_interpreter::Value;
use gloam_interpreter::effects::{EffectError, SecretsCall};
use gloam_interpreter::value::SecretText;
use gloam_trace_store::{SecretAction, SecretStore};

/// A secret's value as an opaque `Secret`, if the canvas has it. `audit` is
/// `Some(client)` when each read goes to the audit log.
pub async fn get(
    store: &SecretStore,
    canvas: &str,
    call: SecretsCall,
    audit: Option<&Option<String>>,
) -> Result<Value, EffectError> {
    let SecretsCall::Get { name } = call;
    let name = name.as_str();
    let value = store.secret(canvas, name).await.map_err(unavailable)?;
    if value.is_some()
        && let Some(client) = audit
    {
        store.audit_secret(canvas, name, SecretAction::Read, client.as_deref()).await.map_err(unavailable)?;
    }
    Ok(Value::option(value.map(|value| Value::Secret(SecretText::new(value)))))
}
