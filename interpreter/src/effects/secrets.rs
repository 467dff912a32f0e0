//! `Secrets.get`: a canvas's secrets, as opaque `Secret` values.

use super::arguments::Arguments;
use super::{EffectError, MemoryEffects};
use crate::value::{SecretText, Value};
use gloam_language::Builtin;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsCall {
    Get { name: String },
}

pub(super) fn decode(args: &Arguments) -> Result<SecretsCall, EffectError> {
    match args.0.builtin {
        Builtin::SecretsGet => Ok(SecretsCall::Get { name: args.text(0)?.to_string() }),
        _ => Err(args.not_an_effect()),
    }
}

/// The secret a value is, if it is one.
pub fn secret_in(value: &Value) -> Option<SecretText> {
    match value {
        Value::Secret(secret) => Some(secret.clone()),
        _ => None,
    }
}

impl MemoryEffects {
    pub(super) fn secrets(&mut self, call: SecretsCall) -> Result<Value, EffectError> {
        match call {
            SecretsCall::Get { name } => {
                let secret = self.secrets.get(&name);
                Ok(Value::option(secret.map(|secret| Value::Secret(SecretText::new(secret.as_str())))))
            }
        }
    }
}
