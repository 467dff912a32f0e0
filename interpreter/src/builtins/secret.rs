//! `Secret.matches`.

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::SecretMatches => match args.get(0)? {
            Value::Secret(secret) => Value::Bool(secret.matches(args.string(1)?)),
            _ => return Err(args.wrong(0, "a Secret")),
        },
        other => return Err(elsewhere(other)),
    })
}
